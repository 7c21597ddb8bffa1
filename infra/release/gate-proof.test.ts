// The gate's side of the monitoring proof: it tells the proof where to save its evidence and that Grafana is
// required, passes the Grafana URL and token from its own environment, and links the proof's summary page.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { GateRefusal, runMonitoringProof } from "./gate.ts";
import { createReporter } from "./reporter.ts";

// Stands in for `npm run monitoring:proof`: prints what it was given and writes proof.html where it was told to.
const STAND_IN = `
const fs = require("node:fs"), path = require("node:path");
const dir = process.env.MONITORING_PROOF_DIR;
console.log("stack=" + process.env.LOVE_STACK + " require=" + process.env.MONITORING_PROOF_REQUIRE_GRAFANA + " grafana=" + process.env.GRAFANA_URL + " token=" + process.env.GRAFANA_TOKEN);
if (process.argv[1] !== "no-page") { fs.mkdirSync(dir, { recursive: true }); fs.writeFileSync(path.join(dir, "proof.html"), "<!doctype html>"); }
process.exit(Number(process.argv[2] ?? 0));
`;

const dirs: string[] = [];
const saved = { GRAFANA_URL: process.env.GRAFANA_URL, GRAFANA_TOKEN: process.env.GRAFANA_TOKEN };
afterEach(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function gate(args: string[]): Promise<{ lines: string[]; error?: unknown; repo: string }> {
  const repo = await mkdtemp(path.join(os.tmpdir(), "love-gate-proof-"));
  dirs.push(repo);
  const lines: string[] = [];
  const reporter = createReporter({ prefix: "deploy staging", write: (line) => lines.push(line) });
  try {
    await runMonitoringProof(repo, "staging", { command: process.execPath, args: ["-e", STAND_IN, ...args] }, reporter, "http://prometheus.example:9090");
    return { lines, repo };
  } catch (error) {
    return { lines, error, repo };
  }
}

describe("the gate and the monitoring proof", () => {
  it("passes where to save, that Grafana is required, Grafana's URL and token (masked), and links proof.html", async () => {
    Object.assign(process.env, { GRAFANA_URL: "http://127.0.0.1:3001", GRAFANA_TOKEN: "glsa_gateTestValue" });
    const { lines, error, repo } = await gate(["page", "0"]);
    expect(error).toBeUndefined();
    const output = lines.join("\n");
    expect(output).toContain("stack=staging require=1 grafana=http://127.0.0.1:3001 token=***");
    expect(output).not.toContain("glsa_gateTestValue");
    const link = /monitoring proof summary: (file:\S+)/.exec(output)?.[1];
    expect(link).toMatch(new RegExp(`^${pathToFileURL(path.join(repo, "monitoring", "proof")).href}/[\\dT-]+Z-staging/proof\\.html$`));
  });

  it("links the summary page of a failing proof in the refusal", async () => {
    const { lines, error } = await gate(["page", "1"]);
    expect(error).toBeInstanceOf(GateRefusal);
    expect((error as Error).message).toMatch(/monitoring proof failed for staging .*refusing to deploy \(see file:.*proof\.html\)/);
    expect(lines.join("\n")).toContain("monitoring proof summary: file:");
  });

  it("says so when the proof wrote no summary page", async () => {
    const { lines, error } = await gate(["no-page", "0"]);
    expect(error).toBeUndefined();
    expect(lines.join("\n")).toMatch(/the monitoring proof wrote no summary page \(.*proof\.html\)/);
  });
});
