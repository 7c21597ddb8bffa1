// Bundles the exporter (main.ts, prom-client and the shared contract modules) into one CommonJS file that runs
// on a bare node:20 image: `tsx monitoring/log-drain-exporter/build.ts [outfile]` (the Dockerfile's build
// stage does this). esbuild comes with tsx/vitest (package-lock.json pins it).
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

export const ENTRY = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Writes the bundle to `outfile`. CommonJS, because prom-client require()s node built-ins at run time. */
export async function buildExporter(outfile: string): Promise<void> {
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    legalComments: "none",
    logLevel: "warning",
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outfile = path.resolve(process.argv[2] ?? "dist/log-drain-exporter.cjs");
  await buildExporter(outfile);
  console.log(`wrote ${outfile}`);
}
