// proof.html from a result with every kind of outcome: each check is a row with its result, text is escaped, a
// missing picture says so instead of a broken image.
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CheckLog } from "../prove/checks.ts";
import type { ProofResult } from "../prove/run.ts";
import { renderSummaryPage } from "../prove/summary-page.ts";

function result(log: CheckLog, extra: Partial<ProofResult> = {}): ProofResult {
  return {
    ok: false,
    stack: "prod",
    commit: "0123456789abcdef0123456789abcdef01234567",
    commitDirty: false,
    checkedAt: "2026-05-01T10:00:00.000Z",
    prometheusUrl: "http://127.0.0.1:9090",
    alertmanagerUrl: "http://127.0.0.1:9093",
    outDir: path.join(os.tmpdir(), "love-proof-summary"),
    summary: log.summary(),
    checks: log.checks,
    activeAlerts: [],
    pictures: { graph: { file: "graph.png", of: "http://127.0.0.1:9090/classic/graph?g0.expr=x", range: "1h", expr: "x", plot: { x: 0, y: 0, width: 1, height: 1 } } },
    files: ["rules.json", "graph.png", "proof.json", "proof.html"],
    ...extra,
  };
}

describe("proof.html", () => {
  it("lists every check with its result, counts skipped apart from passed, escapes what servers said", () => {
    const log = new CheckLog();
    log.pass("prometheus", "rule-loaded", "High5xxErrorRate loaded");
    log.fail("grafana", "grafana-dashboard", 'dashboard <script>alert("x")</script> missing');
    log.skip("grafana", "grafana-screenshot", "not run: the dashboard is not in Grafana");
    const html = renderSummaryPage(result(log));
    const rows = [...html.matchAll(/<tr class="(\w+)"><td>(\w+)<\/td><td><code>([\w-]+)<\/code><\/td><td[^>]*>(\w+)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([
      ["passed", "prometheus", "rule-loaded", "passed", "High5xxErrorRate loaded"],
      ["failed", "grafana", "grafana-dashboard", "failed", "dashboard &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; missing"],
      ["skipped", "grafana", "grafana-screenshot", "skipped", "not run: the dashboard is not in Grafana"],
    ]);
    expect(html).not.toContain("<script>");
    expect(html).toContain("1 passed, 1 failed, 1 skipped (2 ran)");
    expect(html).toContain('<span class="verdict">FAILED</span>');
    expect(html).toContain("<tr><td>stack</td><td>prod</td></tr>");
    expect(html).toContain("0123456789abcdef0123456789abcdef01234567");
    expect(html).toContain('<img src="graph.png"');
    expect(html).toContain("no dashboard picture: see the grafana checks");
    expect(html).toContain('<a href="rules.json">rules.json</a>');
  });

  it("says when the commit is unknown or carries uncommitted changes", () => {
    const log = new CheckLog();
    const { commit: _unused, ...noCommit } = result(log);
    expect(renderSummaryPage(noCommit as ProofResult)).toContain("unknown (not a git checkout)");
    expect(renderSummaryPage(result(log, { commitDirty: true }))).toContain("(with uncommitted changes)");
  });
});
