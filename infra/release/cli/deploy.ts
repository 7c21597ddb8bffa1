// npm run deploy -- --stack <name>   (see infra/release/README.md)
import { deploy } from "../deploy.ts";
import { createReporter } from "../reporter.ts";
import { installCommandFrom, resolveVerifySettings, UsageError } from "../settings.ts";
import { parseFlags, runCli, stackFlag, VERIFY_HELP, VERIFY_OPTIONS, verifyFlags } from "./common.ts";

const USAGE = `usage: npm run deploy -- [--stack staging|prod|pr-<n>] [options]
  Refuses a dirty work tree; runs the regression tests (npm test) and, for staging and prod, the monitoring proof
  (npm run monitoring:proof); pulumi up; verifies; marks the commit stable or rolls back by itself.
  Without --stack: prod (the stack .last-stable-version belongs to).

  --create-stack         create the stack if missing (pr-<n> only)
  --first-deploy         staging/prod only, and only while the stack has never been updated: the first up creates
                         the monitoring the proof needs, so the proof is skipped (the tests still run) and the skip is
                         recorded in the update message and the stable tag; verified by smoke tests (and Prometheus
                         when one is given)
  --config key=value     plain stack configuration to set before up (repeatable)
  --push-tag             push the stable/<stack> tag to origin after marking (LOVE_RELEASE_PUSH_TAGS=1)
${VERIFY_HELP}

exit codes: 0 deployed, verified, marked stable; 1 refused, nothing changed; 2 usage; 3 deployed but verification
inconclusive (not marked stable); 4 release failed and was rolled back; 5 release failed and NOT rolled back`;

await runCli("deploy", USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    ...VERIFY_OPTIONS,
    stack: { type: "string" },
    "create-stack": { type: "boolean" },
    "first-deploy": { type: "boolean" },
    config: { type: "string", multiple: true },
    "push-tag": { type: "boolean" },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stack = stackFlag(values.stack, (line) => console.log(`[deploy] ${line}`));
  const config: Record<string, string> = {};
  for (const pair of values.config ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`--config ${pair}: expected key=value`);
    config[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const pushTag = values["push-tag"] === true || process.env.LOVE_RELEASE_PUSH_TAGS === "1";
  const install = installCommandFrom();
  const report = await deploy({
    repoDir: process.cwd(),
    stack,
    verify: resolveVerifySettings(verifyFlags(values)),
    reporter: createReporter({ prefix: `deploy ${stack}` }),
    createStack: values["create-stack"] === true,
    firstDeploy: values["first-deploy"] === true,
    ...(install ? { install } : {}),
    ...(Object.keys(config).length > 0 ? { config } : {}),
    ...(pushTag ? { pushTagTo: "origin" } : {}),
  });
  return report.exitCode;
});
