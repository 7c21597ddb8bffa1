// Writes monitoring/grafana-dashboard.json from buildDashboard(): `npm run monitoring:dashboard`.
// Commit the result; monitoring/tests/dashboard.test.ts fails when the committed file drifts.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dashboardJson } from "./dashboard.ts";

export const DASHBOARD_FILE = fileURLToPath(new URL("../grafana-dashboard.json", import.meta.url));

writeFileSync(DASHBOARD_FILE, dashboardJson());
console.log(`wrote ${DASHBOARD_FILE}`);
