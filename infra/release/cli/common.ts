// What the release commands share: flag parsing, the verification flags, and turning errors into exit codes.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT } from "../exit-codes.ts";
import { GitError } from "../git.ts";
import { redact, secretValuesFromEnv } from "../redact.ts";
import { DEFAULT_STACK, UsageError, type VerifyFlags } from "../settings.ts";

export const VERIFY_OPTIONS = {
  "prometheus-url": { type: "string" },
  "prometheus-selector": { type: "string" },
  window: { type: "string" },
  bake: { type: "string" },
  "min-requests": { type: "string" },
  "on-inconclusive": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const VERIFY_HELP = `verification (flags win over the environment):
  --prometheus-url <url>         Prometheus HTTP API base (PROMETHEUS_URL); required for staging and prod;
                                 a bearer token is read from PROMETHEUS_BEARER_TOKEN
  --prometheus-selector <labels> extra matchers for http_requests_total, e.g. 'project="abc"' (LOVE_PROMETHEUS_SELECTOR)
  --window <duration>            range of the 5xx ratio, default 5m (LOVE_VERIFY_WINDOW)
  --bake <duration>              wait after pulumi up before reading the ratio, default = window (LOVE_VERIFY_BAKE)
  --min-requests <n>             fewer requests in the window = inconclusive, default 200 (LOVE_VERIFY_MIN_REQUESTS)
  --on-inconclusive keep|rollback  default keep: deployed but not marked stable, exit 3 (LOVE_VERIFY_ON_INCONCLUSIVE)`;

export function verifyFlags(values: Record<string, string | boolean | (string | boolean)[] | undefined>): VerifyFlags {
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const flags: VerifyFlags = {};
  const set = (key: keyof VerifyFlags, name: string) => {
    const value = text(name);
    if (value !== undefined) flags[key] = value as never;
  };
  set("prometheusUrl", "prometheus-url");
  set("prometheusSelector", "prometheus-selector");
  set("window", "window");
  set("bake", "bake");
  set("minRequests", "min-requests");
  set("onInconclusive", "on-inconclusive");
  return flags;
}

export function parseFlags<T extends ParseArgsConfig["options"]>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function stackFlag(value: unknown, log: (line: string) => void): string {
  if (typeof value === "string" && value !== "") return value;
  log(`no --stack given: using ${DEFAULT_STACK}, the stack .last-stable-version belongs to`);
  return DEFAULT_STACK;
}

/** Runs a command's main and exits with its code; usage errors exit 2, git problems 1, anything unexpected 5. */
export async function runCli(name: string, usage: string, main: () => Promise<number>): Promise<never> {
  const secrets = secretValuesFromEnv();
  let code: number;
  try {
    code = await main();
  } catch (error) {
    const message = redact((error as Error).message, secrets);
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${message}\n\n${usage}\n`);
      code = EXIT.usage;
    } else if (error instanceof GitError) {
      process.stderr.write(`${name}: ${message}\n`);
      code = EXIT.refused;
    } else {
      process.stderr.write(`${name}: unexpected error: ${redact((error as Error).stack ?? message, secrets)}\n`);
      code = EXIT.needsHuman;
    }
  }
  process.exit(code);
}
