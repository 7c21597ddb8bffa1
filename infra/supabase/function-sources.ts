// The edge functions of the repository as they are uploaded: every directory of functions/ that does not start
// with `_` is a function whose entry point is index.ts; each upload carries the shared import map (deno.json at
// the root), all of functions/_shared and the function's own files, with paths relative to the root. The server
// bundles them. The checksum covers exactly what is uploaded plus the metadata, so an unchanged function is skipped.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { SourceFile } from "./api/types.ts";

export interface FunctionLayout {
  /** Relative to the root, e.g. `functions`. */
  functionsDir: string;
  /** Relative to the root, e.g. `deno.json`. */
  importMapPath: string;
  /** Directory name under functionsDir shared by every function. */
  sharedDirName: string;
  verifyJwt: boolean;
}

export interface FunctionSource {
  slug: string;
  /** Relative to the root, e.g. `functions/queue/index.ts`. */
  entrypointPath: string;
  files: SourceFile[];
  checksum: string;
}

export class FunctionSourceError extends Error {
  override readonly name = "FunctionSourceError";
}

const SLUG_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ENTRYPOINT = "index.ts";
/** Tests and fixtures live next to the code but are not part of what runs. */
const EXCLUDED = [/\.test\.[cm]?[jt]sx?$/, /_test\.[cm]?[jt]sx?$/, /(^|\/)\./, /(^|\/)node_modules\//];

export async function collectFunctionSources(root: string, layout: FunctionLayout): Promise<FunctionSource[]> {
  const functionsDir = path.join(root, layout.functionsDir);
  let entries: string[];
  try {
    entries = (await readdir(functionsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const slugs = entries.filter((name) => !name.startsWith("_") && !name.startsWith("."));
  const importMap = await readSource(root, layout.importMapPath);
  const shared = await readTree(root, path.posix.join(layout.functionsDir, layout.sharedDirName));

  const sources: FunctionSource[] = [];
  for (const slug of slugs) {
    if (!SLUG_PATTERN.test(slug)) {
      throw new FunctionSourceError(`${layout.functionsDir}/${slug}: function names must match ${SLUG_PATTERN} (they become URL slugs)`);
    }
    const own = await readTree(root, path.posix.join(layout.functionsDir, slug));
    const entrypointPath = path.posix.join(layout.functionsDir, slug, ENTRYPOINT);
    if (!own.some((file) => file.path === entrypointPath)) {
      throw new FunctionSourceError(`${layout.functionsDir}/${slug} has no ${ENTRYPOINT}: every function directory needs an entry point`);
    }
    const files = [importMap, ...shared, ...own];
    sources.push({ slug, entrypointPath, files, checksum: checksumOf(files, entrypointPath, layout) });
  }
  return sources;
}

function checksumOf(files: readonly SourceFile[], entrypointPath: string, layout: FunctionLayout): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ entrypointPath, importMapPath: layout.importMapPath, verifyJwt: layout.verifyJwt }));
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    hash.update(`\0${file.path}\0`);
    hash.update(createHash("sha256").update(file.content).digest("hex"));
  }
  return hash.digest("hex");
}

async function readSource(root: string, relativePath: string): Promise<SourceFile> {
  try {
    return { path: relativePath, content: await readFile(path.join(root, relativePath)) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new FunctionSourceError(`${relativePath} is missing: every function is uploaded with this import map`);
    }
    throw error;
  }
}

/** Every file under `relativeDir` (recursively), sorted, paths relative to the root with forward slashes. */
async function readTree(root: string, relativeDir: string): Promise<SourceFile[]> {
  const absolute = path.join(root, relativeDir);
  try {
    if (!(await stat(absolute)).isDirectory()) return [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const names = (await readdir(absolute, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .filter((relative) => !EXCLUDED.some((pattern) => pattern.test(relative)))
    .sort();
  return Promise.all(names.map((name) => readSource(root, name)));
}
