// The dashboard as code: the committed monitoring/grafana-dashboard.json is exactly what buildDashboard()
// generates, and the model holds the properties Grafana and the alert rely on.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { knownSeriesNames } from "../contract.ts";
import { DASHBOARD_UID, DATASOURCE, QUERIES, buildDashboard, dashboardJson } from "../dashboard/dashboard.ts";
import { dashboardRevision, revisionTagOf, withRevisionTag } from "../dashboard/revision.ts";
import { ERROR_RATIO_EXPR, ERROR_RATIO_THRESHOLD, findAlert, loadAlertRules } from "../rules.ts";
import { MONITORING_DIR, seriesNames } from "./support.ts";

interface PanelJson {
  id?: number | null;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: { refId?: string; expr?: string; datasource?: { type?: string; uid?: string } }[];
  fieldConfig?: {
    defaults?: {
      unit?: string;
      thresholds?: { mode: string; steps: { value: number | null; color: string }[] };
      custom?: { thresholdsStyle?: { mode: string } };
    };
  };
  panels?: PanelJson[];
}

function allPanels(panels: PanelJson[]): PanelJson[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

const model = JSON.parse(JSON.stringify(buildDashboard())) as { uid: string; panels: PanelJson[] };
const panels = allPanels(model.panels);
const dataPanels = panels.filter((panel) => panel.type !== "row");
const byTitle = (title: string): PanelJson => {
  const panel = dataPanels.find((candidate) => candidate.title === title);
  if (!panel) throw new Error(`no panel titled ${title}`);
  return panel;
};

describe("grafana-dashboard.json", () => {
  it("is what `npm run monitoring:dashboard` generates (no drift)", async () => {
    const committed = await readFile(path.join(MONITORING_DIR, "grafana-dashboard.json"), "utf8");
    expect(committed, "monitoring/grafana-dashboard.json is stale: run `npm run monitoring:dashboard`").toBe(
      dashboardJson(),
    );
  });

  it("is deterministic and small enough for a ConfigMap (< 1 MiB)", () => {
    expect(dashboardJson()).toBe(dashboardJson());
    expect(Buffer.byteLength(dashboardJson())).toBeLessThan(1024 * 1024);
    expect(model.uid).toBe(DASHBOARD_UID);
  });

  it("carries its content revision as a tag, which the monitoring proof compares with what Grafana serves", async () => {
    const file = JSON.parse(await readFile(path.join(MONITORING_DIR, "grafana-dashboard.json"), "utf8")) as { tags: string[]; title: string };
    expect(revisionTagOf(file)).toMatch(/^[0-9a-f]{12}$/);
    expect(revisionTagOf(file)).toBe(dashboardRevision(file));
    expect(file.tags.filter((tag) => tag.startsWith("revision:"))).toHaveLength(1);
    // Any change of content is a new revision; the tag itself is not part of what it hashes.
    const changed = withRevisionTag({ ...file, title: `${file.title} (edited)` });
    expect(revisionTagOf(changed)).not.toBe(revisionTagOf(file));
    expect(withRevisionTag(file)).toEqual(file);
  });

  it("gives every panel a unique, stable id", () => {
    const ids = panels.map((panel) => panel.id);
    expect(ids.every((id) => typeof id === "number")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names the prometheus datasource on every panel and query, and gives every panel a unit", () => {
    expect(dataPanels.length).toBeGreaterThanOrEqual(12);
    for (const panel of dataPanels) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.fieldConfig?.defaults?.unit, panel.title).toBeTruthy();
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size, `${panel.title}: refIds`).toBe(refIds.length);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual(DATASOURCE);
        expect(target.expr, panel.title).toBeTruthy();
      }
    }
  });

  it("plots the alert's own 5xx ratio against its 2% threshold line", () => {
    const rule = findAlert(loadAlertRules(), "High5xxErrorRate");
    expect(rule.expr.replace(/\s+/g, "")).toBe(`(${ERROR_RATIO_EXPR})>${ERROR_RATIO_THRESHOLD}`.replace(/\s+/g, ""));
    for (const title of ["5xx error ratio (alert view, 5m)", "5xx error ratio against the 2% threshold"]) {
      const panel = byTitle(title);
      expect(panel.targets?.map((target) => target.expr)).toEqual([ERROR_RATIO_EXPR]);
      expect(panel.fieldConfig?.defaults?.unit).toBe("percentunit");
      expect(panel.fieldConfig?.defaults?.thresholds).toEqual({
        mode: "absolute",
        steps: [
          { value: null, color: "green" },
          { value: ERROR_RATIO_THRESHOLD, color: "red" },
        ],
      });
    }
    expect(byTitle("5xx error ratio against the 2% threshold").fieldConfig?.defaults?.custom?.thresholdsStyle).toEqual({
      mode: "dashed",
    });
  });

  it("has the panels the issue asks for", () => {
    const exprs = (title: string): string[] => (byTitle(title).targets ?? []).map((target) => target.expr ?? "");
    expect(exprs("Requests by function and status")).toEqual([QUERIES.requestsByFunctionAndStatus]);
    expect(QUERIES.requestsByFunctionAndStatus).toMatch(/sum by \(function, status\)/);
    expect(exprs("Latency p50 / p95 / p99").map((expr) => expr.match(/histogram_quantile\(([\d.]+),/)?.[1])).toEqual([
      "0.5",
      "0.95",
      "0.99",
    ]);
    expect(exprs("Circuit breaker state")).toEqual([QUERIES.breakerState]);
    expect(exprs("Cache hit ratio (gets)")).toEqual([QUERIES.cacheHitRatio]);
    expect(exprs("Waiting by clinic")).toEqual([QUERIES.queueWaiting]);
    expect(exprs("Serving by clinic")).toEqual([QUERIES.queueServing]);
    expect(exprs("Done by clinic")).toEqual([QUERIES.queueDone]);
    expect(exprs("Active PINs")).toEqual([QUERIES.pinsActive]);
  });

  it("queries only metrics of the contract", () => {
    const known = knownSeriesNames();
    const used = dataPanels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => seriesNames(target.expr ?? "")));
    expect(new Set(used).size).toBeGreaterThanOrEqual(8);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });
});
