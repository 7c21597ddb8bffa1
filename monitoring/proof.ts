// `npm run monitoring:proof`: the monitoring proof the release gate asks for before any redeploy.
//   npm run monitoring:proof -- [--prometheus URL] [--alertmanager URL] [--grafana URL] [--out DIR] [--require-grafana]
// Checks Prometheus (High5xxErrorRate loaded as monitoring/alerts.yml says, alerts sent on, the 5xx ratio graphed
// with its 2% line), Alertmanager, and Grafana when a URL and token are given (prove/grafana.ts); saves the answers,
// the pictures, proof.json and proof.html. The checks live in prove/, one module per surface.
// Exit 0 when no check failed, 1 otherwise (failed checks on stderr), 2 on bad arguments.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { describeError } from "./prove/http.ts";
import { runProof } from "./prove/run.ts";
import { HIGH_5XX_ALERT } from "./rules.ts";

export { durationSeconds, ruleDifferences } from "./prove/rule-compare.ts";
export { runProof, type ProofOptions, type ProofResult } from "./prove/run.ts";

export const PROOF_ROOT = fileURLToPath(new URL("./proof/", import.meta.url));
const USAGE =
  "usage: npm run monitoring:proof -- [--prometheus URL] [--alertmanager URL] [--grafana URL] [--out DIR] [--require-grafana]\n" +
  "  env: PROMETHEUS_URL, ALERTMANAGER_URL, GRAFANA_URL, GRAFANA_TOKEN (service-account token or user:password),\n" +
  "       MONITORING_PROOF_DIR, MONITORING_PROOF_REQUIRE_GRAFANA=1, LOVE_STACK, CHROMIUM_PATH";

function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

const SYMBOL = { passed: "ok  ", failed: "FAIL", skipped: "skip" } as const;

export async function main(argv: string[]): Promise<number> {
  let values: { prometheus?: string; alertmanager?: string; grafana?: string; out?: string; "require-grafana"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        prometheus: { type: "string" },
        alertmanager: { type: "string" },
        grafana: { type: "string" },
        out: { type: "string" },
        "require-grafana": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`monitoring:proof: ${describeError(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = process.env;
  const stack = env.LOVE_STACK && /^[\w.-]+$/.test(env.LOVE_STACK) ? env.LOVE_STACK : undefined;
  const outDir = path.resolve(values.out ?? env.MONITORING_PROOF_DIR ?? path.join(PROOF_ROOT, `${timestamp()}${stack ? `-${stack}` : ""}`));
  const grafanaUrl = values.grafana ?? env.GRAFANA_URL;
  const result = await runProof({
    ...(stack ? { stack } : {}),
    prometheusUrl: values.prometheus ?? env.PROMETHEUS_URL ?? "http://127.0.0.1:9090",
    alertmanagerUrl: values.alertmanager ?? env.ALERTMANAGER_URL ?? "http://127.0.0.1:9093",
    grafana: { ...(grafanaUrl ? { url: grafanaUrl } : {}), ...(env.GRAFANA_TOKEN ? { token: env.GRAFANA_TOKEN } : {}) },
    requireGrafana: values["require-grafana"] === true || env.MONITORING_PROOF_REQUIRE_GRAFANA === "1",
    outDir,
  });
  for (const check of result.checks) console.log(`${SYMBOL[check.status]} ${check.name}: ${check.detail}`);
  const { summary } = result;
  const state = result.activeAlerts.length > 0 ? result.activeAlerts.map((a) => a.state).join(", ") : "inactive";
  console.log(`${HIGH_5XX_ALERT} is ${state}; 5xx ratio now ${result.currentRatio?.text ?? "not known"}`);
  console.log(`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped; evidence in ${outDir}`);
  console.log(`summary page: ${pathToFileURL(path.join(outDir, "proof.html")).href}`);
  if (!result.ok) {
    const failed = result.checks.filter((check) => check.status === "failed");
    const reasons = failed.length > 0 ? failed.map((check) => `  - ${check.detail}`) : ["  - rule-loaded did not pass"];
    console.error(`monitoring proof FAILED:\n${reasons.join("\n")}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
