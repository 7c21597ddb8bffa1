// The legacy lockdown step (see ../legacy-lockdown.ts for what it changes): reads the inventory of public through
// a read-only query, changes what the plan says in one transaction that also records every change (and how to undo
// it) in love.legacy_lockdown_log, then reads the inventory again to prove that nothing locked (table or function) is
// left open to the API roles. Idempotent: once locked, the plan is empty and nothing is sent. Check puts the planned statements into
// the inputs (`plan`), so the preview shows them. Deleting the resource changes nothing back.
import type * as pulumi from "@pulumi/pulumi";
import type { ManagementClient } from "../client.ts";
import { LEGACY_INVENTORY_SQL, type LegacyInventory, type LockdownChange, type LockdownPlan, lockdownSql, planLockdown, stillOpen } from "../legacy-lockdown.ts";
import { type Connection, connectionChanged, connectionOf, type ProviderContext, type SupabaseProvider, targetChanged } from "./context.ts";
import { targetKnown, withoutPlan } from "./preview.ts";

export interface LegacyLockdownInputs extends Connection {
  projectRef: string;
  /** Lock every legacy table, not only those holding secrets (lockDownLegacyTables). */
  lockAll: boolean;
  /** Set by check from the live database: the statements an update would run, and the tables left open to anon. */
  plan?: { statements: string[]; readableByAnon: string[] };
}

export interface LegacyLockdownOutputs extends Connection {
  projectRef: string;
  lockAll: boolean;
  /** Every change this resource has made, oldest first, each with the statement that undoes it. */
  changes: LockdownChange[];
  /** Legacy tables left as they are after the last update, and whether anon can read them. */
  reported: LockdownPlan["reported"];
}

export class LockdownError extends Error {
  override readonly name = "LockdownError";
}

export function createLegacyLockdownProvider(context: ProviderContext): SupabaseProvider<LegacyLockdownInputs, LegacyLockdownOutputs> {
  const lock = async (inputs: LegacyLockdownInputs, previous: LockdownChange[]): Promise<LegacyLockdownOutputs> => {
    const client = context.clientFor(inputs);
    const plan = planLockdown(await inventory(client, inputs.projectRef), inputs.lockAll);
    if (plan.changes.length > 0) await client.runQuery(inputs.projectRef, lockdownSql(plan.changes));
    const after = await inventory(client, inputs.projectRef);
    const open = stillOpen(after, new Set([...previous, ...plan.changes].map((change) => change.table)));
    if (open.length > 0) {
      throw new LockdownError(`after the lockdown, the API roles can still use ${open.join("; ")}: look at its grants before the next up`);
    }
    return {
      ...connectionOf(inputs),
      projectRef: inputs.projectRef,
      lockAll: inputs.lockAll,
      changes: [...previous, ...plan.changes],
      reported: planLockdown(after, inputs.lockAll).reported,
    };
  };

  return {
    async check(_olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      if (!news.projectRef) failures.push({ property: "projectRef", reason: "projectRef is required" });
      if (typeof news.lockAll !== "boolean") failures.push({ property: "lockAll", reason: "must be true or false" });
      const inputs = withoutPlan(news);
      if (failures.length > 0 || !targetKnown(news)) return { inputs, failures };
      const plan = planLockdown(await inventory(context.clientFor(news), news.projectRef), news.lockAll);
      return {
        inputs: {
          ...inputs,
          plan: {
            statements: plan.changes.map((change) => change.statement),
            readableByAnon: plan.reported.filter((table) => table.anonCanRead).map((table) => table.table),
          },
        },
        failures,
      };
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      const planned = (news.plan?.statements.length ?? 0) > 0;
      return { changes: planned || olds.lockAll !== news.lockAll || connectionChanged(olds, news), replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      return { id: `${inputs.projectRef}/legacy-lockdown`, outs: await lock(inputs, []) };
    },

    async update(_id, olds, news) {
      return { outs: await lock(news, olds.changes ?? []) };
    },

    async delete() {
      // Locked stays locked: love.legacy_lockdown_log has the statements that undo each change.
    },
  };
}

async function inventory(client: ManagementClient, ref: string): Promise<LegacyInventory> {
  type Row = { [K in keyof LegacyInventory]: LegacyInventory[K] | string | null };
  const [row] = await client.runQuery<Row>(ref, LEGACY_INVENTORY_SQL, { readOnly: true });
  // The query API may hand json columns back as text.
  const parsed = <T>(value: T | string | null | undefined): T | [] => (typeof value === "string" ? JSON.parse(value) as T : value ?? []);
  return { tables: parsed(row?.tables), functions: parsed(row?.functions) };
}
