// `npm run admin -- create <username> [--role admin|super_admin]` and `npm run admin -- set-password <username>`:
// asks for the password (twice, without echo, on a terminal; the first line(s) of stdin otherwise), checks its
// strength, hashes it with bcrypt here and stores only the hash.
// `npm run admin -- link <username> [--minutes 10] [--url https://<frontend>]`: prints a one-time sign-in link
// (only the code's hash is stored). The database is SUPABASE_DB_URL, else the local stack's
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
  createSignInLink,
  isValidUsername,
  parseBcryptCost,
  passwordProblem,
  setAdminPassword,
  USERNAME_PATTERN,
} from "../functions/_shared/admin-accounts.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
import { LINK_DEFAULT_MINUTES, LINK_MAX_MINUTES } from "../functions/_shared/admin-secrets.ts";
const USAGE = `usage: npm run admin -- create <username> [--role admin|super_admin]
       npm run admin -- set-password <username>
       npm run admin -- link <username> [--minutes ${LINK_DEFAULT_MINUTES}] [--url https://<frontend origin>]`;
const COMMANDS = ["create", "set-password", "link"];

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      role: { type: "string", default: "admin" },
      minutes: { type: "string", default: String(LINK_DEFAULT_MINUTES) },
      url: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const [command, username] = positionals;
  if (values.help || !command || !username || positionals.length !== 2 || !COMMANDS.includes(command)) {
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

  if (command === "link") return await link(username, values.minutes, values.url ?? process.env.LOVE_PUBLIC_URL);

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

async function link(username: string, rawMinutes: string | undefined, rawUrl: string | undefined): Promise<number> {
  const minutes = Number(rawMinutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > LINK_MAX_MINUTES) {
    console.error(`--minutes must be a whole number from 1 to ${LINK_MAX_MINUTES}`);
    return 2;
  }
  let origin = "";
  if (rawUrl) {
    try {
      const url = new URL(rawUrl);
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
      origin = url.origin;
    } catch {
      console.error(`--url must be the frontend's address, e.g. https://mmc-mms.com (got ${JSON.stringify(rawUrl)})`);
      return 2;
    }
  }
  const sql = postgres(await databaseUrl(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const result = await createSignInLink(sql, username, minutes);
    if (!result.success) {
      console.error(result.code === "ADMIN_NOT_FOUND" ? `There is no active admin named ${username}.` : `Refused by the database: ${result.code}`);
      return 1;
    }
    console.log(`One-time sign-in link for ${result.admin?.username}, valid ${minutes} minute(s), until ${result.expires_at}:`);
    console.log(`${origin}${result.path}`);
    if (!origin) console.log("(a path: open it on the frontend's own site, https://<frontend> + path; --url or LOVE_PUBLIC_URL prints it whole)");
    console.log("It works once; give it to that person only.");
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
