// The commands as people and CI run them: `npm run deploy` / the rollback CLI in a child process, with the real pulumi
// (wrapped to record its invocations) first on PATH, as pulumi/actions puts it there, Prometheus from the environment.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { deploy } from "../../infra/release/deploy.ts";
import { EXIT } from "../../infra/release/exit-codes.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { commitRelease } from "./support/test-repo.ts";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const cli = (name: string) => path.join(ROOT, "infra", "release", "cli", `${name}.ts`);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function env(harness: Harness): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${harness.pulumi.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PROMETHEUS_URL: harness.prometheus.url,
    LOVE_VERIFY_BAKE: "0s",
    LOVE_VERIFY_MIN_REQUESTS: "100",
  };
}

async function run(file: string, args: string[], cwd: string, environment: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd, env: environment, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, out: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("the commands", () => {
  it("keep the owner's literal rollback sequence working: STABLE_VERSION=$(cat .last-stable-version); git checkout; npm run deploy", async () => {
    h = await createHarness("prod", { scripts: { deploy: `${TSX} ${cli("deploy")}` } });
    const options = { repoDir: h.repo, stack: "prod", verify: h.verify, reporter: h.reporter, pulumiRoot: h.pulumi.root };
    expect((await deploy(options)).exitCode).toBe(EXIT.ok);
    // A newer release is out (unjudged, so not stable) and the checkout is on it.
    await commitRelease(h.repo, "newer release", { release: { requests: 5 }, scripts: { deploy: `${TSX} ${cli("deploy")}` } });
    expect((await deploy(options)).exitCode).toBe(EXIT.inconclusive);

    const seed = "STABLE_VERSION=$(cat .last-stable-version)\ngit checkout -q $STABLE_VERSION\nnpm run deploy";
    const result = await run("bash", ["-ec", seed], h.repo, env(h));

    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain("no --stack given: using prod");
    expect(result.out).toContain("marked stable");
    expect((await h.pulumi.deployed("prod"))?.commit).toBe(h.firstCommit);
    const last = (await h.pulumi.ups("prod")).at(-1)!;
    expect(last.cwd).toBe(h.repo);
    expect(last.args[last.args.indexOf("--message") + 1]).toContain(`love deploy ${h.firstCommit}`);
  });

  it("exit 1 with the reason when rollback has no stable release; exit 2 with usage on a bad stack name", async () => {
    h = await createHarness("staging");
    const noMarker = await run(TSX, [cli("rollback"), "--stack", "staging"], h.repo, env(h));
    expect(noMarker.code).toBe(EXIT.refused);
    expect(noMarker.out).toContain("no stable release is recorded for stack staging");

    const badStack = await run(TSX, [cli("deploy"), "--stack", "production"], h.repo, env(h));
    expect(badStack.code).toBe(EXIT.usage);
    expect(badStack.out).toContain('unknown stack "production"');
    expect(badStack.out).toContain("usage: npm run deploy");
    expect(await h.pulumi.commands()).toEqual([]);
  });
});
