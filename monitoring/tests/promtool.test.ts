// The alert rules under promtool (Debian 12: promtool 2.42): syntax and lint, the unit tests in
// monitoring/tests/*.promtool.yml, and mutations of alerts.yml that those unit tests must catch (so they
// cannot pass vacuously).
import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALERTS_FILE, ERROR_RATIO_EXPR } from "../rules.ts";
import { BIN, MONITORING_DIR, TESTS_DIR, removeDir, run, tempDir } from "./support.ts";

const relative = (file: string): string => path.relative(process.cwd(), file) || file;

async function promtoolTestFiles(): Promise<string[]> {
  return (await readdir(TESTS_DIR))
    .filter((name) => name.endsWith(".promtool.yml"))
    .sort()
    .map((name) => path.join(TESTS_DIR, name));
}

describe("promtool", () => {
  it("check rules: monitoring/alerts.yml is valid and lint-clean", async () => {
    const result = await run(BIN.promtool, ["check", "rules", "--lint=all", "--lint-fatal", ALERTS_FILE]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: 5 rules found/);
  });

  it("finds the unit-test files", async () => {
    const files = (await promtoolTestFiles()).map((file) => path.basename(file));
    expect(files).toEqual(["companions.promtool.yml", "high5xx.promtool.yml", "pin-guessing.promtool.yml"]);
  });

  it.each(["high5xx.promtool.yml", "companions.promtool.yml", "pin-guessing.promtool.yml"])("test rules: %s passes", async (name) => {
    const result = await run(BIN.promtool, ["test", "rules", path.join(TESTS_DIR, name)], { cwd: MONITORING_DIR });
    expect(result.code, `promtool test rules ${name}\n${result.output}`).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });

  it("the ratio assertions in high5xx.promtool.yml use the rule's own expression", async () => {
    // The reset and threshold cases check values of the ratio; they only prove something about the rule if
    // they evaluate the same expression (and rules.test.ts checks alerts.yml is `(ERROR_RATIO_EXPR) > 0.02`).
    const doc = parse(await readFile(path.join(TESTS_DIR, "high5xx.promtool.yml"), "utf8")) as {
      tests: { name: string; promql_expr_test?: { expr: string }[] }[];
    };
    const squash = (text: string): string => text.replace(/\s+/g, "");
    const exprs = doc.tests.flatMap((test) => (test.promql_expr_test ?? []).map((item) => item.expr));
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) expect(squash(expr)).toContain(squash(ERROR_RATIO_EXPR));
  });
});

// Each mutation is a plausible mistake in alerts.yml; the unit tests must fail on it, naming the case that
// catches it.
const MUTATIONS: { name: string; from: string | RegExp; to: string; caughtBy: RegExp }[] = [
  {
    name: "threshold compared with >= instead of >",
    from: ") > 0.02",
    to: ") >= 0.02",
    caughtBy: /exactly 2 percent stays silent/,
  },
  {
    name: "no for-period on High5xxErrorRate",
    from: /(alert: High5xxErrorRate[\s\S]*?)for: 5m/,
    to: "$1for: 0s",
    caughtBy: /steady 3 percent fires only after the for-period/,
  },
  {
    name: "description without humanizePercentage",
    from: "{{ $value | humanizePercentage }}",
    to: "{{ $value }}",
    caughtBy: /annotation shows the humanized error rate/,
  },
  {
    name: "summary text changed",
    from: '"CRITICAL: 5xx error rate exceeds 2% (R < 0.98)"',
    to: '"CRITICAL: 5xx error rate exceeds 2%"',
    caughtBy: /steady 3 percent fires only after the for-period/,
  },
  {
    name: "ratio averaged per status instead of summed",
    from: "sum(rate(http_requests_total{status=~\"5..\"}[5m]))\n            /\n            sum(rate(http_requests_total[5m]))",
    to: "avg(rate(http_requests_total{status=~\"5..\"}[5m]))\n            /\n            avg(rate(http_requests_total[5m]))",
    caughtBy: /a 3-minute burst fires|exactly 2 percent stays silent|just above 2 percent fires/,
  },
  {
    name: "NoHttpTraffic without the absent-series fallback",
    from: "(sum(rate(http_requests_total[5m])) or vector(0)) == 0",
    to: "sum(rate(http_requests_total[5m])) == 0",
    caughtBy: /absent request series fire NoHttpTraffic/,
  },
  {
    name: "CircuitBreakerOpen keyed on state=open (reset by half-open probes)",
    from: 'max without (state) (max_over_time(circuit_breaker_state{state="closed"}[5m])) == 0',
    to: 'max without (state) (circuit_breaker_state{state="open"}) == 1',
    caughtBy: /a breaker that stays open/,
  },
  {
    name: "PinGuessingSuspected with a higher threshold",
    from: '[10m])) > 20',
    to: '[10m])) > 30',
    caughtBy: /sustained guessing at one clinic fires after the for-period/,
  },
  {
    name: "PinGuessingSuspected summed over all clinics",
    from: 'sum by (clinic) (increase(pin_attempts_total',
    to: 'sum(increase(pin_attempts_total',
    caughtBy: /typos spread over clinics and correct PINs stay silent/,
  },
  {
    name: "PinGuessingSuspected per result instead of per clinic",
    from: 'sum by (clinic) (increase(pin_attempts_total',
    to: 'sum by (clinic, result) (increase(pin_attempts_total',
    caughtBy: /refusals and wrong PINs from both functions add up per clinic/,
  },
  {
    name: "PinGuessingSuspected counting correct PINs",
    from: 'pin_attempts_total{result=~"wrong|locked|not_your_turn"}',
    to: 'pin_attempts_total',
    caughtBy: /typos spread over clinics and correct PINs stay silent/,
  },
  {
    name: "PinGuessingSuspected without its for-period",
    from: /(alert: PinGuessingSuspected[\s\S]*?)for: 2m/,
    to: "$1for: 0s",
    caughtBy: /sustained guessing at one clinic fires after the for-period/,
  },
  {
    name: "ScrapeTargetDown with a too-short for-period",
    from: /(alert: ScrapeTargetDown[\s\S]*?)for: 5m/,
    to: "$1for: 1m",
    caughtBy: /a brief scrape failure does not fire ScrapeTargetDown/,
  },
];

describe("the promtool unit tests catch regressions in alerts.yml", () => {
  let dir: string | undefined;
  let original = "";

  beforeAll(async () => {
    original = await readFile(ALERTS_FILE, "utf8");
    dir = await tempDir("mutations");
  });
  afterAll(() => removeDir(dir));

  it.each(MUTATIONS)("$name", async ({ name, from, to, caughtBy }) => {
    const mutated = original.replace(from, to);
    expect(mutated, `mutation "${name}" does not apply to alerts.yml any more`).not.toBe(original);

    // Same layout as the repo (tests/ next to alerts.yml), so the test files' `../alerts.yml` finds the mutant.
    const root = path.join(dir as string, name.replace(/[^a-z0-9]+/gi, "-"));
    await mkdir(path.join(root, "tests"), { recursive: true });
    await writeFile(path.join(root, "alerts.yml"), mutated);
    const files = await promtoolTestFiles();
    for (const file of files) await copyFile(file, path.join(root, "tests", path.basename(file)));

    const check = await run(BIN.promtool, ["check", "rules", path.join(root, "alerts.yml")]);
    expect(check.code, `the mutant must still be a valid rule file\n${check.output}`).toBe(0);

    const result = await run(BIN.promtool, [
      "test",
      "rules",
      ...files.map((file) => path.join(root, "tests", path.basename(file))),
    ]);
    expect(result.code, `promtool passed on the mutant "${name}"\n${result.output}`).not.toBe(0);
    expect(result.output, `expected ${caughtBy} among the failures of ${relative(root)}`).toMatch(caughtBy);
  });
});
