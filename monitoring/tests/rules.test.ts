// monitoring/rules.ts and the facts of monitoring/alerts.yml that promtool cannot see: the owner's rule kept
// as written, the companions present, only contract metrics used, and the pure helpers for Pulumi and e2e.
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { knownSeriesNames } from "../contract.ts";
import {
  ALERTS_FILE,
  ERROR_RATIO_EXPR,
  ERROR_RATIO_THRESHOLD,
  HIGH_5XX_ALERT,
  RuleFileError,
  alertingRules,
  findAlert,
  loadAlertRules,
  parseAlertRules,
  renderRuleFile,
  withShortWindows,
} from "../rules.ts";
import { BIN, removeDir, run, seriesNames, tempDir } from "./support.ts";

const squash = (text: string): string => text.replace(/\s+/g, "");

describe("alerts.yml", () => {
  const groups = loadAlertRules();

  it("keeps the owner's High5xxErrorRate: expression, for, severity, summary, description", () => {
    const rule = findAlert(groups, HIGH_5XX_ALERT);
    expect(groups.find((group) => group.rules.includes(rule))?.name).toBe("critical_alerts");
    // The directive's text: ( sum(rate(5xx[5m])) / sum(rate(all[5m])) ) > 0.02
    expect(squash(rule.expr)).toBe(
      squash(
        '( sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) ) > 0.02',
      ),
    );
    expect(squash(rule.expr)).toBe(squash(`(${ERROR_RATIO_EXPR}) > ${ERROR_RATIO_THRESHOLD}`));
    expect(rule.for).toBe("5m");
    expect(rule.labels).toEqual({ severity: "critical" });
    expect(rule.annotations).toEqual({
      summary: "CRITICAL: 5xx error rate exceeds 2% (R < 0.98)",
      description: "Error rate is {{ $value | humanizePercentage }}. Immediate rollback required!",
    });
  });

  it("has the companions (no traffic, target down, breaker open) and the security alert (PIN guessing)", () => {
    expect(alertingRules(groups).map((rule) => rule.alert)).toEqual([
      "High5xxErrorRate",
      "NoHttpTraffic",
      "ScrapeTargetDown",
      "CircuitBreakerOpen",
      "PinGuessingSuspected",
    ]);
  });

  it("gives every alert a severity (critical|warning), a summary and a description", () => {
    for (const rule of alertingRules(groups)) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      expect(rule.for, `${rule.alert} should not page on one evaluation`).toMatch(/^\d+m$/);
    }
  });

  it("uses only metrics of the contract (and up)", () => {
    const known = knownSeriesNames();
    const used = alertingRules(groups).flatMap((rule) => seriesNames(rule.expr));
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });
});

describe("rules.ts helpers", () => {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await tempDir("rules");
  });
  afterAll(() => removeDir(dir));

  it("renderRuleFile round-trips through parseAlertRules", () => {
    const groups = loadAlertRules();
    expect(parseAlertRules(renderRuleFile(groups))).toEqual(groups);
  });

  it("withShortWindows rewrites every range and for-period, and nothing else", () => {
    const groups = loadAlertRules();
    const before = JSON.stringify(groups);
    const short = withShortWindows(groups, { range: "10s", forDuration: "3s" });
    expect(JSON.stringify(groups), "the input must not be modified").toBe(before);

    const original = alertingRules(groups);
    const shortened = alertingRules(short);
    expect(shortened.map((rule) => rule.alert)).toEqual(original.map((rule) => rule.alert));
    for (const [index, rule] of shortened.entries()) {
      const source = original[index];
      if (!source) throw new Error("rule count changed");
      expect(rule.expr).not.toMatch(/\[(?!10s\])[^\]]*\]/);
      // Every window of the rules is 5m, except PinGuessingSuspected's 10m.
      expect(rule.expr.replaceAll("[10s]", source.alert === "PinGuessingSuspected" ? "[10m]" : "[5m]")).toBe(source.expr);
      expect(rule.for).toBe("3s");
      expect(rule.labels).toEqual(source.labels);
      expect(rule.annotations).toEqual(source.annotations);
    }
    expect(findAlert(short, HIGH_5XX_ALERT).expr).toContain('sum(rate(http_requests_total{status=~"5.."}[10s]))');
  });

  it("the short variant is a valid rule file for promtool", async () => {
    const file = path.join(dir as string, "short.yml");
    await writeFile(file, renderRuleFile(withShortWindows(loadAlertRules(), { range: "10s", forDuration: "3s" })));
    const result = await run(BIN.promtool, ["check", "rules", file]);
    expect(result.code, result.output).toBe(0);
  });

  it("parseAlertRules rejects malformed files", () => {
    expect(() => parseAlertRules("rules: []")).toThrow(RuleFileError);
    expect(() => parseAlertRules("groups:\n  - name: x\n    rules:\n      - alert: A\n")).toThrow(/no expr/);
    expect(() => parseAlertRules("groups:\n  - name: x\n    rules:\n      - expr: up\n")).toThrow(/neither/);
    expect(() => findAlert(loadAlertRules(ALERTS_FILE), "Nope")).toThrow(/no alerting rule named Nope/);
  });
});
