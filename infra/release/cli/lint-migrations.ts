// npm run lint:migrations [-- <dir>]: the expand/contract lint over supabase/migrations (see migrations/lint.ts).
import path from "node:path";
import { readMigrationFiles } from "../../../supabase/migration-files.ts";
import { REBASELINES } from "../migrations/history.ts";
import { formatFinding, lintMigrationFiles } from "../migrations/lint.ts";

const dir = path.resolve(process.argv[2] ?? "supabase/migrations");
for (const rebaseline of REBASELINES) {
  console.log(`history: baseline restructured on ${rebaseline.on} (${rebaseline.reason}); superseded versions ${rebaseline.supersededVersions.join(", ")}`);
}
const result = lintMigrationFiles(await readMigrationFiles(dir));
for (const file of result.files) {
  if (file.contractStep) console.log(`${file.file}: contract step (${file.contractStep})`);
  for (const finding of file.findings) console.log(`${finding.allowed ? "allowed" : "ERROR  "} ${formatFinding(finding)}`);
}
console.log(`${result.files.length} migration(s), ${result.violations.length} violation(s)`);
process.exit(result.violations.length === 0 ? 0 : 1);
