// The alert rules as data, for whatever needs them besides Prometheus itself: the Pulumi component (a
// PrometheusRule generated from monitoring/alerts.yml, one source of truth), the dashboard (the same 5xx
// ratio and threshold) and the tests (a short-window variant for end-to-end runs).
// Everything here is pure except loadAlertRules(), which only reads the file.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

/** monitoring/alerts.yml, resolved from this module (no machine paths). */
export const ALERTS_FILE = fileURLToPath(new URL("./alerts.yml", import.meta.url));

/** The owner's threshold: High5xxErrorRate fires when the 5xx share is above 2% (R < 0.98). */
export const ERROR_RATIO_THRESHOLD = 0.02;

/**
 * The 5xx share of all requests over 5 minutes, exactly as High5xxErrorRate computes it (rate per series,
 * then sum, then divide). The dashboard plots this; a test checks alerts.yml is `(ERROR_RATIO_EXPR) > 0.02`.
 */
export const ERROR_RATIO_EXPR =
  'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))';

export const HIGH_5XX_ALERT = "High5xxErrorRate";

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export class RuleFileError extends Error {}

export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return "alert" in rule;
}

/** Parses a Prometheus rule file (`groups:`) and checks its shape. Pure. */
export function parseAlertRules(text: string): RuleGroup[] {
  const doc: unknown = parse(text);
  if (!isRecord(doc) || !Array.isArray(doc.groups)) throw new RuleFileError("rule file has no `groups:` list");
  return doc.groups.map((group: unknown, index: number): RuleGroup => {
    if (!isRecord(group) || typeof group.name !== "string" || !Array.isArray(group.rules)) {
      throw new RuleFileError(`group #${index} needs a name and a rules list`);
    }
    const rules = group.rules.map((rule: unknown) => parseRule(rule, group.name as string));
    const result: RuleGroup = { name: group.name, rules };
    if (typeof group.interval === "string") result.interval = group.interval;
    return result;
  });
}

/** The parsed groups of monitoring/alerts.yml (or of `file`). */
export function loadAlertRules(file: string = ALERTS_FILE): RuleGroup[] {
  return parseAlertRules(readFileSync(file, "utf8"));
}

/** Every alerting rule of the groups, in file order. */
export function alertingRules(groups: readonly RuleGroup[]): AlertingRule[] {
  return groups.flatMap((group) => group.rules.filter(isAlertingRule));
}

/** The alerting rule called `name`; throws when it is missing. */
export function findAlert(groups: readonly RuleGroup[], name: string): AlertingRule {
  const rule = alertingRules(groups).find((candidate) => candidate.alert === name);
  if (!rule) throw new RuleFileError(`no alerting rule named ${name}`);
  return rule;
}

/** Serialises groups back to a rule file promtool and Prometheus accept. Pure. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  return stringify({ groups }, { lineWidth: 0 });
}

const RANGE_SELECTOR = /\[\s*(?:\d+(?:ms|[smhdwy]))+\s*\]/g;

/**
 * A copy of the groups for fast end-to-end runs: every range selector (`[5m]`) becomes `[range]` and every
 * non-empty `for:` becomes `forDuration`. The expressions, labels and annotations are otherwise untouched, so
 * a test of the variant exercises the real rules. Pure.
 */
export function withShortWindows(
  groups: readonly RuleGroup[],
  options: { range: string; forDuration: string },
): RuleGroup[] {
  return groups.map((group) => ({
    ...group,
    rules: group.rules.map((rule): Rule => {
      const expr = rule.expr.replace(RANGE_SELECTOR, `[${options.range}]`);
      if (!isAlertingRule(rule)) return { ...rule, expr };
      const shortened: AlertingRule = { ...rule, expr };
      if (rule.for !== undefined && rule.for !== "0s" && rule.for !== "0") shortened.for = options.forDuration;
      return shortened;
    }),
  }));
}

function parseRule(rule: unknown, group: string): Rule {
  if (!isRecord(rule) || typeof rule.expr !== "string") {
    throw new RuleFileError(`a rule in group ${group} has no expr`);
  }
  const labels = stringMap(rule.labels, `labels of a rule in ${group}`);
  if (typeof rule.alert === "string") {
    const result: AlertingRule = { alert: rule.alert, expr: rule.expr };
    if (rule.for !== undefined) {
      if (typeof rule.for !== "string") throw new RuleFileError(`for: of ${rule.alert} must be a duration`);
      result.for = rule.for;
    }
    if (labels) result.labels = labels;
    const annotations = stringMap(rule.annotations, `annotations of ${rule.alert}`);
    if (annotations) result.annotations = annotations;
    return result;
  }
  if (typeof rule.record === "string") {
    const result: RecordingRule = { record: rule.record, expr: rule.expr };
    if (labels) result.labels = labels;
    return result;
  }
  throw new RuleFileError(`a rule in group ${group} is neither alert nor record`);
}

function stringMap(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new RuleFileError(`${what} must be a map`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") throw new RuleFileError(`${what}: ${key} must be a string`);
    out[key] = item;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
