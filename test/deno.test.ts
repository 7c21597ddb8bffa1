// The functions' own unit tests run where the functions run: under Deno.
import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../local/stack.ts";

it("deno test passes for functions/", () => {
  const deno = path.join(REPO_ROOT, "node_modules", ".bin", "deno");
  const result = spawnSync(deno, ["test", "--config", "deno.json", "-A", "functions/"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    encoding: "utf8",
    timeout: 240_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  expect(result.status, output).toBe(0);
  expect(output).toMatch(/ok \| \d+ passed \| 0 failed/);
}, 300_000);
