// npm run rollback -- --stack <name> [--dry-run]   (see infra/release/README.md)
import { createReporter } from "../reporter.ts";
import { rollback } from "../rollback.ts";
import { checkStackName, resolveVerifySettings, installCommandFrom } from "../settings.ts";
import { parseFlags, runCli, stackFlag, VERIFY_HELP, VERIFY_OPTIONS, verifyFlags } from "./common.ts";

const USAGE = `usage: npm run rollback -- [--stack staging|prod|pr-<n>] [--dry-run] [options]
  Redeploys the stable commit of the stack (.last-stable-version.<stack>, else the tag stable/<stack>) from a
  temporary git worktree: npm ci there, pulumi up, verify. A stack already on its stable commit is left alone.
  Without --stack: prod.

  --dry-run              print the target commit and the steps; change nothing
${VERIFY_HELP}

exit codes: 0 rolled back and verified, nothing to do, or dry run; 1 no stable release recorded; 2 usage;
5 the rollback failed (page a human)`;

await runCli("rollback", USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), { ...VERIFY_OPTIONS, stack: { type: "string" }, "dry-run": { type: "boolean" } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stack = checkStackName(stackFlag(values.stack, (line) => console.log(`[rollback] ${line}`)));
  const reporter = createReporter({ prefix: `rollback ${stack}` });
  const install = installCommandFrom();
  const report = await rollback({
    repoDir: process.cwd(),
    stack,
    dryRun: values["dry-run"] === true,
    verify: resolveVerifySettings(verifyFlags(values)),
    reporter,
    ...(install ? { install } : {}),
  });
  reporter.info(report.summary);
  return report.exitCode;
});
