// Part of `npm test`: every migration in supabase/migrations passes the expand/contract lint, so the stable release
// keeps working on the current schema and a rollback never needs a down-migration.
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { readMigrationFiles } from "../../supabase/migration-files.ts";
import { formatFinding, lintMigrationFiles } from "../../infra/release/migrations/lint.ts";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));

it("supabase/migrations contains no destructive statement outside a marked contract step", async () => {
  const files = await readMigrationFiles(MIGRATIONS);
  const result = lintMigrationFiles(files);
  expect(result.files.length).toBe(files.length);
  expect(result.violations.map(formatFinding), "see infra/release/README.md, 'Forward-only migrations'").toEqual([]);
});
