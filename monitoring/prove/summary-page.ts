// proof.html: the one page a reviewer opens. Stack, commit, time; every check with its result; the pictures.
// Self-contained (inline style, pictures by relative path beside it), so the folder can be archived as is.
import type { ProofResult } from "./run.ts";

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const STATUS_STYLE = { passed: "#1a7f37", failed: "#cf222e", skipped: "#9a6700" } as const;

function figure(file: string | undefined, title: string, of: string | undefined, missing: string): string {
  if (!file) return `<section><h2>${escape(title)}</h2><p class="missing">${escape(missing)}</p></section>`;
  return (
    `<section><h2>${escape(title)}</h2>` +
    (of ? `<p class="of">${escape(of)}</p>` : "") +
    `<a href="${escape(file)}"><img src="${escape(file)}" alt="${escape(title)}"></a></section>`
  );
}

export function renderSummaryPage(result: ProofResult): string {
  const { summary } = result;
  const verdict = result.ok ? "PASSED" : "FAILED";
  const rows = result.checks
    .map(
      (check) =>
        `<tr class="${check.status}"><td>${escape(check.surface)}</td><td><code>${escape(check.name)}</code></td>` +
        `<td style="color:${STATUS_STYLE[check.status]};font-weight:700">${check.status}</td><td>${escape(check.detail)}</td></tr>`,
    )
    .join("\n");
  const commit = result.commit ? `${result.commit}${result.commitDirty ? " (with uncommitted changes)" : ""}` : "unknown (not a git checkout)";
  const facts: [string, string][] = [
    ["stack", result.stack ?? "local (no LOVE_STACK)"],
    ["commit", commit],
    ["checked at", result.checkedAt],
    ["Prometheus", result.prometheusUrl],
    ["Alertmanager", result.alertmanagerUrl],
    ["Grafana", result.grafanaUrl ?? "not configured"],
    ["5xx ratio now", result.currentRatio?.text ?? "not known"],
    ["High5xxErrorRate", result.activeAlerts.length > 0 ? result.activeAlerts.map((alert) => alert.state).join(", ") : "inactive"],
  ];
  const json = result.files.filter((file) => file.endsWith(".json"));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Monitoring proof ${verdict}: ${escape(result.stack ?? "local")} ${escape(result.commit?.slice(0, 12) ?? "")}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1440px;padding:0 16px;color:#1f2328}
h1{margin:0 0 8px}.verdict{display:inline-block;padding:4px 12px;border-radius:6px;color:#fff;background:${result.ok ? STATUS_STYLE.passed : STATUS_STYLE.failed}}
table{border-collapse:collapse;width:100%;margin:12px 0}td,th{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.facts td:first-child{width:160px;font-weight:600}tr.failed{background:#ffebe9}tr.skipped{background:#fff8c5}
img{max-width:100%;border:1px solid #d0d7de}.of{color:#57606a;word-break:break-all;margin:0 0 6px}.missing{color:#9a6700}
</style></head><body>
<h1>Monitoring proof <span class="verdict">${verdict}</span></h1>
<table class="facts">${facts.map(([key, value]) => `<tr><td>${escape(key)}</td><td>${escape(value)}</td></tr>`).join("")}</table>
<h2>Checks: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (${summary.ran} ran)</h2>
<p>A skipped check did not run and is never counted as passed.</p>
<table class="checks"><tr><th>surface</th><th>check</th><th>result</th><th>detail</th></tr>
${rows}
</table>
${figure(result.pictures.graph?.file, "The 5xx ratio over the last hour, with the 2% line (Prometheus)", result.pictures.graph?.of, "no graph: see the ratio-graph check")}
${figure(result.pictures.dashboard?.file, "The dashboard (Grafana, kiosk mode)", result.pictures.dashboard?.of, "no dashboard picture: see the grafana checks")}
${figure(result.pictures.alerts?.file, "The alert rule (Prometheus alerts page)", result.pictures.alerts?.of, "no alerts picture: see the alerts-screenshot check")}
<section><h2>Answers saved</h2><ul>${json.map((file) => `<li><a href="${escape(file)}">${escape(file)}</a></li>`).join("")}</ul></section>
</body></html>
`;
}
