// Reading a dashboard model as Grafana serves it: which panels plot the alert's 5xx ratio, and whether each shows
// the alert's threshold.
import { ERROR_RATIO_EXPR, ERROR_RATIO_THRESHOLD } from "../rules.ts";
import { compactExpr } from "./rule-compare.ts";

export interface PanelTarget {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: PanelTarget[];
  fieldConfig?: {
    defaults?: {
      unit?: string;
      thresholds?: { mode?: string; steps?: { value: number | null; color: string }[] };
      custom?: { thresholdsStyle?: { mode?: string } };
    };
  };
  panels?: Panel[];
}

export interface DashboardModel {
  uid?: string;
  title?: string;
  version?: number;
  tags?: string[];
  panels?: Panel[];
}

function flatten(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...flatten(panel.panels ?? [])]);
}

/** Panels whose query is the alert's ratio (whitespace aside), graphs first. */
export function ratioPanels(model: DashboardModel): Panel[] {
  const wanted = compactExpr(ERROR_RATIO_EXPR);
  return flatten(model.panels ?? [])
    .filter((panel) => (panel.targets ?? []).some((target) => compactExpr(target.expr ?? "") === wanted))
    .sort((a, b) => Number(b.type === "timeseries") - Number(a.type === "timeseries"));
}

export function ratioTarget(panel: Panel): PanelTarget {
  const wanted = compactExpr(ERROR_RATIO_EXPR);
  return (panel.targets ?? []).find((target) => compactExpr(target.expr ?? "") === wanted) as PanelTarget;
}

export const panelName = (panel: Panel): string => `"${panel.title ?? "untitled"}" (${panel.type ?? "?"}, id ${panel.id ?? "?"})`;

/** What keeps a panel from showing the alert's threshold; empty when it shows it. */
export function thresholdProblems(panel: Panel): string[] {
  const defaults = panel.fieldConfig?.defaults;
  const steps = defaults?.thresholds?.steps ?? [];
  const problems: string[] = [];
  if (!steps.some((step) => step.value === ERROR_RATIO_THRESHOLD)) {
    problems.push(`its thresholds are ${JSON.stringify(steps.map((step) => step.value))}, without a step at ${ERROR_RATIO_THRESHOLD}`);
  }
  if (defaults?.thresholds?.mode !== undefined && defaults.thresholds.mode !== "absolute") {
    problems.push(`its threshold mode is ${defaults.thresholds.mode}, not absolute`);
  }
  if (defaults?.unit !== "percentunit") problems.push(`its unit is ${defaults?.unit ?? "unset"}, not percentunit`);
  const style = defaults?.custom?.thresholdsStyle?.mode ?? "off";
  if (panel.type === "timeseries" && style === "off") problems.push("it does not draw its thresholds (thresholdsStyle off)");
  return problems;
}
