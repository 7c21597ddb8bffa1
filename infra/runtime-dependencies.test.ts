// What the program and its provider processes load at run time must be a production dependency: `npm ci
// --omit=dev` (or a deploy image without dev dependencies) must be able to run `pulumi up`. The imports are read
// from the code itself (esbuild's import graph of the program and of the providers' entry), plus what Pulumi.yaml
// preloads (nodeargs) and what the serialized provider shim requires inside the provider process.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

const packageOf = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] as string);

async function importedPackages(entries: string[]): Promise<Set<string>> {
  const result = await build({
    entryPoints: entries.map((entry) => path.join(ROOT, entry)),
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outdir: "out",
    logLevel: "silent",
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !imported.path.startsWith("node:") && !imported.path.startsWith(".")) packages.add(packageOf(imported.path));
    }
  }
  return packages;
}

function preloadedByPulumiYaml(): string[] {
  const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime?: { options?: { nodeargs?: string } } };
  const args = (project.runtime?.options?.nodeargs ?? "").split(/\s+/);
  return args.flatMap((arg, index) => (arg === "--import" || arg === "--require" ? [args[index + 1] as string] : []));
}

function requiredByProviderShim(): string[] {
  const shim = readFileSync(path.join(ROOT, "infra/supabase/resources/provider-shim.ts"), "utf8");
  return [...shim.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string).filter((name) => !name.startsWith("node:"));
}

async function productionPackages(): Promise<Set<string>> {
  const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--json"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const names = new Set<string>();
  const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      names.add(name);
      walk(node.dependencies as never);
    }
  };
  walk((JSON.parse(stdout) as { dependencies?: Record<string, { dependencies?: Record<string, unknown> }> }).dependencies);
  return names;
}

describe("run-time dependencies of the Pulumi program", () => {
  it("are all production dependencies (nothing the program, Pulumi.yaml or the provider shim loads is a devDependency)", async () => {
    const needed = new Set([
      ...(await importedPackages(["infra/index.ts", "infra/supabase/providers/index.ts"])),
      ...preloadedByPulumiYaml().map(packageOf),
      ...requiredByProviderShim().map(packageOf),
    ]);
    expect(needed).toContain("@pulumi/pulumi");
    expect(needed).toContain("tsx");
    const production = await productionPackages();
    expect([...needed].filter((name) => !production.has(name)).sort()).toEqual([]);
  }, 60_000);
});
