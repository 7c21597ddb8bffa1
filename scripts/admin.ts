// `npm run admin -- create <username> [--role admin|super_admin]` and `npm run admin -- set-password <username>`:
// asks for the password (twice, without echo, on a terminal; the first line(s) of stdin otherwise), hashes it with
// bcrypt here and stores only the hash. The database is SUPABASE_DB_URL, else the local stack's
// (.local/postgres.password, PG_PORT or 54322; LOCAL_DATA_DIR as for `npm start`).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import {
  ADMIN_ROLES,
  type AdminRole,
  createAdmin,
  isValidUsername,
  parseBcryptCost,
  passwordProblem,
  setAdminPassword,
  USERNAME_PATTERN,
} from "../functions/_shared/admin-accounts.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: npm run admin -- create <username> [--role admin|super_admin]
       npm run admin -- set-password <username>`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { role: { type: "string", default: "admin" }, help: { type: "boolean", default: false } },
    strict: true,
  });
  const [command, username] = positionals;
  if (values.help || !command || !username || positionals.length !== 2 || !["create", "set-password"].includes(command)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!isValidUsername(username)) {
    console.error(`The user name must match ${USERNAME_PATTERN}`);
    return 2;
  }
  const role = values.role as AdminRole;
  if (!ADMIN_ROLES.includes(role)) {
    console.error(`--role must be one of ${ADMIN_ROLES.join(", ")}`);
    return 2;
  }

  const [password, confirmation] = await readPassword(`Password for ${username}: `, "Repeat the password: ");
  if (password !== confirmation) {
    console.error("The passwords do not match.");
    return 1;
  }
  const problem = passwordProblem(username, password);
  if (problem) {
    console.error(`Refused: ${problem}.`);
    return 1;
  }

  const sql = postgres(await databaseUrl(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const cost = parseBcryptCost(process.env.LOVE_ADMIN_BCRYPT_COST);
    const result = command === "create"
      ? await createAdmin(sql, username, password, role, cost)
      : await setAdminPassword(sql, username, password, cost);
    if (!result.success) {
      const reasons: Record<string, string> = {
        ADMIN_EXISTS: `An admin named ${username} exists already (use set-password to change its password).`,
        ADMIN_NOT_FOUND: `There is no admin named ${username}.`,
      };
      console.error(reasons[result.code ?? ""] ?? `Refused by the database: ${result.code}`);
      return 1;
    }
    console.log(command === "create"
      ? `Created ${result.admin?.role} ${result.admin?.username}.`
      : `Password of ${result.admin?.username} changed; its sessions were ended.`);
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function databaseUrl(): Promise<string> {
  if (process.env.SUPABASE_DB_URL) return process.env.SUPABASE_DB_URL;
  const dataDir = process.env.LOCAL_DATA_DIR ? path.resolve(process.env.LOCAL_DATA_DIR) : path.join(REPO_ROOT, ".local", "postgres");
  const passwordFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`);
  let password: string;
  try {
    password = (await readFile(passwordFile, "utf8")).trim();
  } catch {
    throw new Error(`Set SUPABASE_DB_URL, or start the local stack once (no ${passwordFile} yet).`);
  }
  const port = process.env.PG_PORT || "54322";
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** Two answers: typed without echo on a terminal, else the first two lines of stdin (one line counts twice). */
async function readPassword(question: string, again: string): Promise<[string, string]> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    const lines = text.split(/\r?\n/);
    const first = lines[0] ?? "";
    const second = lines[1] !== undefined && lines[1] !== "" ? lines[1] : first;
    return [first, second];
  }
  const first = await promptHidden(question);
  const second = await promptHidden(again);
  return [first, second];
}

function promptHidden(question: string): Promise<string> {
  process.stdout.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003" || char === "\u0004") return finish(new Error("cancelled"));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
  });
}

main().then((code) => process.exit(code), (error: Error) => {
  console.error(`admin: ${error.message}`);
  process.exit(1);
});
