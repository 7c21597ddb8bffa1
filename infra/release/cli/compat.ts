// npm run test:compat [-- --stack prod] [--command "npx vitest run test/flow"]: the stable release's tests against the
// current migrations (see compat.ts).
import { checkCompat } from "../compat.ts";
import { createReporter } from "../reporter.ts";
import { checkStackName, UsageError } from "../settings.ts";
import { parseFlags, runCli } from "./common.ts";

const USAGE = `usage: npm run test:compat -- [--stack prod] [--command "<test command>"]
  Runs the stable release's own tests (default: npm test) in a worktree of the stable commit whose
  supabase/migrations are replaced by the current ones. Exit 0: compatible (or nothing to check); 1: not.`;

await runCli("test:compat", USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), { stack: { type: "string" }, command: { type: "string" } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stack = checkStackName(values.stack ?? "prod");
  const words = values.command?.trim().split(/\s+/);
  if (words && words.length === 0) throw new UsageError("--command is empty");
  const reporter = createReporter({ prefix: `compat ${stack}` });
  const report = await checkCompat({
    repoDir: process.cwd(),
    stack,
    reporter,
    ...(words && words[0] ? { command: { command: words[0], args: words.slice(1) } } : {}),
  });
  reporter.info(report.summary);
  return report.exitCode;
});
