// `npm run monitoring:proof` against the local stack's own Prometheus and Alertmanager, with real 5xx traffic
// through the gateway (fixture functions: echo answers 200, boom throws, so the gateway counts a 500): the graph of
// the alert's ratio over the last hour is pictured with its 2% line, and its pixels show both lines; the current
// value is written on the proof. Grafana is not part of the local stack, so its checks are skipped and say so.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runProof } from "../../monitoring/proof.ts";
import { GRAFANA_CHECKS } from "../../monitoring/prove/grafana.ts";
import { ERROR_RATIO_EXPR } from "../../monitoring/rules.ts";
import { readPng, regionPixels, strongHues } from "../../monitoring/tests/pixels.ts";
import { instantQuery } from "../../monitoring/tests/support.ts";
import { driveTraffic } from "../support/fixture-traffic.ts";
import { FIXTURE_FUNCTIONS, startStack, tempDir, type TestStack } from "../support/stack.ts";

const stacks: TestStack[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** 9 answered, 1 failing (10%), repeatedly, for `seconds` (bounded: a fixed number of rounds). */
async function driveTrafficFor(baseUrl: string, seconds: number): Promise<void> {
  for (let round = 0; round < seconds * 2; round += 1) {
    await driveTraffic(baseUrl, 9, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function ratioNow(prometheusUrl: string): Promise<number | undefined> {
  const value = (await instantQuery(prometheusUrl, ERROR_RATIO_EXPR)).data?.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe("monitoring proof on the local stack", () => {
  it("pictures Prometheus' graph of the 5xx ratio with the 2% line, writes the current value, skips Grafana", async () => {
    const stack = await startStack({
      functionsDir: FIXTURE_FUNCTIONS,
      withoutMigrations: true,
      monitoring: { scrapeInterval: "1s", evaluationInterval: "1s" },
    });
    stacks.push(stack);
    const { prometheusUrl, alertmanagerUrl } = stack.stack.monitoring!;
    // About 40 s of traffic: enough points on a one-hour graph for the ratio to be drawn as a line, not a dot.
    await driveTrafficFor(stack.baseUrl, 40);
    expect(await ratioNow(prometheusUrl)).toBeCloseTo(0.1, 1);

    const outDir = await tempDir("love-proof-local-");
    dirs.push(outDir);
    const proof = await runProof({ prometheusUrl, alertmanagerUrl, outDir });
    const failed = proof.checks.filter((check) => check.status === "failed");
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(proof.ok).toBe(true);
    expect(proof.checks.find((check) => check.name === "ratio-graph")?.status).toBe("passed");
    expect(proof.currentRatio?.value).toBeCloseTo(0.1, 1);
    expect(proof.currentRatio?.text).toMatch(/^\d+\.\d\d% \(threshold 2%\): above/);
    for (const name of GRAFANA_CHECKS) expect(proof.checks.find((check) => check.name === name)?.status).toBe("skipped");

    // The picture: a real PNG, not blank, and inside the chart two lines of two colours (ratio and threshold).
    const graph = proof.pictures.graph;
    expect(graph?.file).toBe("graph.png");
    const png = await readPng(path.join(outDir, "graph.png"));
    expect(png.width).toBeGreaterThanOrEqual(1000);
    const whole = regionPixels(png);
    expect(whole.distinctColours).toBeGreaterThan(100);
    const plot = regionPixels(png, graph!.plot);
    expect(plot.pixels).toBeGreaterThan(100_000);
    expect(plot.coloured, "nothing drawn in the chart").toBeGreaterThan(500);
    expect(strongHues(plot, 15).length, `hues in the chart: ${JSON.stringify([...plot.hues])}`).toBeGreaterThanOrEqual(2);

    // The summary page shows it, and the value.
    const html = await readFile(path.join(outDir, "proof.html"), "utf8");
    expect(html).toContain('<img src="graph.png"');
    expect(html).toContain(proof.currentRatio!.text);
  });
});
