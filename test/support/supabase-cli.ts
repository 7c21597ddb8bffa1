// The Supabase CLI's own migration code (tools/supabase-cli, built from github.com/supabase/cli/pkg), for tests
// that hold our migration history to what `supabase db push` and `supabase migration list` write and read.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface SupabaseCli {
  /** The statements the CLI records for a file. */
  split(sql: string): Promise<string[]>;
  /** `supabase db push`: applies the pending files of `dir`; rejects with the CLI's error. */
  push(databaseUrl: string, dir: string): Promise<{ applied: string[] }>;
  /** What `supabase migration list` compares, and what `db push` would apply (or its refusal). */
  list(databaseUrl: string, dir: string): Promise<{ local: string[]; remote: string[]; pending: string[]; error?: string }>;
}

let built: Promise<string> | undefined;

/** Builds the tool on first use (about 20 s on a cold Go cache, reused afterwards). */
export async function supabaseCli(): Promise<SupabaseCli> {
  built ??= run("bash", [path.join(ROOT, "tools/supabase-cli/build.sh")], { maxBuffer: 16 << 20 }).then(({ stdout }) =>
    stdout.trim().split("\n").pop() as string,
  );
  const bin = await built;
  const json = async (args: string[], input?: string) => {
    const child = execFile(bin, args, { maxBuffer: 64 << 20 });
    const output = new Promise<string>((resolve, reject) => {
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`supabase-cli ${args[0]}: ${stderr.trim()}`))));
    });
    child.stdin?.end(input ?? "");
    return JSON.parse(await output) as unknown;
  };
  return {
    split: async (sql) => (await json(["split"], sql)) as string[],
    push: async (url, dir) => (await json(["push", url, dir])) as { applied: string[] },
    list: async (url, dir) => (await json(["list", url, dir])) as { local: string[]; remote: string[]; pending: string[]; error?: string },
  };
}
