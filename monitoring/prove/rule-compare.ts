// Is the rule Prometheus loaded the one monitoring/alerts.yml defines? Expression (whitespace aside), `for`, labels.
import type { AlertingRule } from "../rules.ts";

/** A rule as Prometheus' /api/v1/rules reports it. */
export interface PromRule {
  name: string;
  query: string;
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  health?: string;
  lastError?: string;
  state?: string;
  type?: string;
}

/** "5m", "1h30m", "90s" → seconds (Prometheus duration syntax). */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };
  let total = 0;
  let rest = text.trim();
  if (rest === "0") return 0;
  while (rest !== "") {
    const match = /^(\d+)(ms|[ywdhms])/.exec(rest);
    if (!match) throw new Error(`not a duration: ${text}`);
    total += match[2] === "ms" ? Number(match[1]) / 1000 : Number(match[1]) * (units[match[2] as string] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

export const compactExpr = (expr: string): string => expr.replace(/\s+/g, "");

/** Compares a loaded rule with the one in the rule file; returns what differs (empty when equal). */
export function ruleDifferences(loaded: PromRule, expected: AlertingRule): string[] {
  const problems: string[] = [];
  if (compactExpr(loaded.query) !== compactExpr(expected.expr)) {
    problems.push(`expr is ${JSON.stringify(loaded.query)}, expected ${JSON.stringify(expected.expr.trim())}`);
  }
  const wantFor = durationSeconds(expected.for ?? "0s");
  if ((loaded.duration ?? 0) !== wantFor) problems.push(`for is ${loaded.duration ?? 0}s, expected ${wantFor}s`);
  for (const [key, want] of Object.entries(expected.labels ?? {})) {
    const got = loaded.labels?.[key];
    if (got !== want) problems.push(`label ${key} is ${got === undefined ? "missing" : JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  return problems;
}
