// The first admin of a cloud stack (adminBootstrapUsername + adminBootstrapPassword), as the local stack creates it
// from LOVE_ADMIN_USERNAME / LOVE_ADMIN_PASSWORD: through POST /database/query, `love.ensure_admin(username, hash,
// 'super_admin')` once the migrations are in. The password is checked with the admins' own policy and hashed with
// bcrypt here, in the provider process; only the hash reaches the database, and the outputs keep neither (only the
// user name and whether this resource created the admin).
// - An existing admin is never changed: when the name exists nothing is sent but one read-only query.
// - A changed password alone changes nothing (`npm run admin -- set-password <username>` against the database does).
// - A new user name creates that admin; the previous one stays.
// - Deleting the resource keeps every admin: admins are data.
import type * as pulumi from "@pulumi/pulumi";
import {
  type AdminResult,
  hashPassword,
  isValidUsername,
  passwordProblem,
  USERNAME_PATTERN,
} from "../../../functions/_shared/admin-accounts.ts";
import { ManagementApiError } from "../api/errors.ts";
import type { ManagementClient } from "../client.ts";
import { sqlTextLiteral } from "../sql-literal.ts";
import { type Connection, connectionChanged, connectionOf, targetChanged, type ProviderContext, type SupabaseProvider } from "./context.ts";

export interface AdminBootstrapInputs extends Connection {
  projectRef: string;
  username: string;
  /** Plaintext only inside the provider process; a Pulumi secret in the program. Never in the outputs. */
  password: string;
}

/** What the state keeps: where, which user name, and whether this resource created it. No password, no hash. */
export interface AdminBootstrapOutputs extends Connection {
  projectRef: string;
  username: string;
  /** True when this resource created the admin; false when an admin of that name existed already. */
  created: boolean;
}

export interface AdminBootstrapOptions {
  /** bcrypt work factor; the admins' default (DEFAULT_BCRYPT_COST) unless a test asks for a cheaper one. */
  bcryptCost?: number;
}

export class AdminBootstrapError extends Error {
  override readonly name = "AdminBootstrapError";
}

export function createAdminBootstrapProvider(
  context: ProviderContext,
  options: AdminBootstrapOptions = {},
): SupabaseProvider<AdminBootstrapInputs, AdminBootstrapOutputs> {
  return {
    async check(_olds, news) {
      return { inputs: news, failures: inputProblems(news) };
    },

    async diff(_id, olds, news) {
      // The first admin belongs to one database: another project or branch needs its own.
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      // The password is not compared (the outputs do not keep it): a new one alone changes nothing. Changing an
      // admin's password is `npm run admin -- set-password <username>` against the project's database.
      const changes = olds.username !== news.username || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      const created = await ensureAdmin(context, inputs, options);
      return { id: `${inputs.projectRef}/admin-bootstrap`, outs: outputsOf(inputs, created) };
    },

    async update(_id, olds, news) {
      // Same name (e.g. a rotated access token or a new password): nothing to do against the database.
      const created = olds.username === news.username ? olds.created === true : await ensureAdmin(context, news, options);
      return { outs: outputsOf(news, created) };
    },

    async delete() {
      // Admins are data: the stack forgetting its first admin does not remove anyone.
    },
  };
}

function inputProblems(inputs: Partial<AdminBootstrapInputs>): pulumi.dynamic.CheckFailure[] {
  if (!isValidUsername(inputs.username)) {
    return [{ property: "username", reason: `adminBootstrapUsername must match ${USERNAME_PATTERN}` }];
  }
  const problem = typeof inputs.password === "string" ? passwordProblem(inputs.username, inputs.password) : "a password is required";
  return problem ? [{ property: "password", reason: `adminBootstrapPassword: ${problem}` }] : [];
}

/** Creates the admin unless one of that name (case-insensitively) exists; true when it was created here. */
async function ensureAdmin(context: ProviderContext, inputs: AdminBootstrapInputs, options: AdminBootstrapOptions): Promise<boolean> {
  const failures = inputProblems(inputs);
  if (failures.length > 0) throw new AdminBootstrapError(`Refused before any call: ${failures.map((f) => f.reason).join("; ")}`);
  const client = context.clientFor(inputs);
  const username = sqlTextLiteral(inputs.username);
  if (await adminExists(client, inputs.projectRef, username)) return false;

  const hash = await hashPassword(inputs.password, options.bcryptCost);
  let rows: { result: AdminResult | string }[];
  try {
    rows = await client.runQuery<{ result: AdminResult | string }>(
      inputs.projectRef,
      `select love.ensure_admin(${username}::text, ${sqlTextLiteral(hash)}::text, 'super_admin') as result`,
    );
  } catch (error) {
    const reason = error instanceof ManagementApiError ? error.apiMessage : error instanceof Error ? error.message : String(error);
    throw new AdminBootstrapError(`Creating the first admin ${inputs.username} failed: ${reason}`);
  }
  const raw = rows[0]?.result;
  const result = (typeof raw === "string" ? JSON.parse(raw) : raw) as AdminResult | undefined;
  if (!result?.success) {
    throw new AdminBootstrapError(`love.ensure_admin refused the first admin ${inputs.username}: ${result?.code ?? "no answer"}`);
  }
  return result.created === true;
}

async function adminExists(client: ManagementClient, ref: string, usernameLiteral: string): Promise<boolean> {
  const [row] = await client.runQuery<{ present: boolean }>(
    ref,
    `select exists (select 1 from love.admins where lower(username) = lower(${usernameLiteral}::text)) as present`,
    { readOnly: true },
  );
  return row?.present === true;
}

function outputsOf(inputs: AdminBootstrapInputs, created: boolean): AdminBootstrapOutputs {
  return { ...connectionOf(inputs), projectRef: inputs.projectRef, username: inputs.username, created };
}
