// What the program tells the Migrations and FunctionRelease resources about the checkout: file names and
// checksums only. The providers re-read the files themselves, so no SQL or source text goes into state.
import path from "node:path";
import { collectFunctionSources, type FunctionLayout } from "./function-sources.ts";
import { readMigrationFiles } from "../../supabase/migration-files.ts";
import type { FunctionEntry } from "./providers/function-release.ts";
import type { MigrationEntry } from "./providers/migrations.ts";

export const MIGRATIONS_DIR = "supabase/migrations";

export const FUNCTION_LAYOUT: FunctionLayout = {
  functionsDir: "functions",
  importMapPath: "deno.json",
  sharedDirName: "_shared",
  // The frontend sends no JWT and EventSource cannot send headers: admin endpoints check our own token instead.
  verifyJwt: false,
};

export interface SourceManifest {
  migrationsDir: string;
  migrations: MigrationEntry[];
  functionLayout: FunctionLayout;
  functions: FunctionEntry[];
}

export async function readSourceManifest(root: string): Promise<SourceManifest> {
  const migrations = await readMigrationFiles(path.join(root, MIGRATIONS_DIR));
  const functions = await collectFunctionSources(root, FUNCTION_LAYOUT);
  return {
    migrationsDir: MIGRATIONS_DIR,
    migrations: migrations.map(({ version, name, checksum }) => ({ version, name, checksum })),
    functionLayout: FUNCTION_LAYOUT,
    functions: functions.map(({ slug, checksum }) => ({ slug, checksum })),
  };
}
