// Entry point of the log-drain exporter container (see Dockerfile). Configuration by environment:
//   LOG_DRAIN_TOKEN        the shared secret the drain sends (required; or LOG_DRAIN_TOKEN_FILE, a file holding it)
//   LOG_DRAIN_HEADER       the header carrying it (default x-log-drain-token)
//   PORT, HOST             where to listen (default 8080 on 0.0.0.0)
//   DEDUP_CAPACITY         event ids remembered for deduplication (default 100000)
//   FUNCTION_NAMES         optional JSON {"<function_id>": "<slug>"} for metric lines of not-yet-seen functions
import { readFileSync } from "node:fs";
import { DEFAULT_TOKEN_HEADER, startExporter } from "./exporter.ts";

function fail(message: string): never {
  console.error(`log-drain-exporter: ${message}`);
  process.exit(2);
}

function integer(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) fail(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

function token(): string {
  const file = process.env.LOG_DRAIN_TOKEN_FILE;
  const value = file ? readFileSync(file, "utf8").trim() : process.env.LOG_DRAIN_TOKEN?.trim();
  if (!value) fail("set LOG_DRAIN_TOKEN (or LOG_DRAIN_TOKEN_FILE) to the shared secret of the log drain");
  return value;
}

function functionNames(): Record<string, string> {
  const raw = process.env.FUNCTION_NAMES;
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('FUNCTION_NAMES must be JSON like {"<function_id>": "<slug>"}');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
    fail('FUNCTION_NAMES must be a JSON object of strings like {"<function_id>": "<slug>"}');
  }
  return parsed as Record<string, string>;
}

// No top-level await: the container runs this bundled as CommonJS (see build.ts).
async function main(): Promise<void> {
  const running = await startExporter({
    token: token(),
    header: process.env.LOG_DRAIN_HEADER || DEFAULT_TOKEN_HEADER,
    dedupCapacity: integer("DEDUP_CAPACITY", 100_000, 1, 10_000_000),
    functionNames: functionNames(),
    port: integer("PORT", 8080, 0, 65_535),
    host: process.env.HOST || "0.0.0.0",
  });
  console.log(`log-drain-exporter listening on port ${running.port} (POST /drain, GET /metrics, GET /healthz)`);

  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      void running.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
