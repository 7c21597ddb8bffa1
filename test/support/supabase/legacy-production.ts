// The "legacy production" fixture: a fake project shaped like rujwuruuosffcxazymit as the 2025 backend left it,
// written for our tests from the shape of that backend's public history (never its code): its tables in public with
// USING (true) policies and grants to anon, a plaintext admin row, a `pins` table, a migration history written by
// the Supabase CLI itself (tools/supabase-cli pushes test/fixtures/legacy-production/migrations), its 27 edge
// functions (25 of them dash-named) deployed and active, redirect URLs and exposed schemas of its own.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { supabaseCli } from "../supabase-cli.ts";
import type { FakeEdgeRuntime } from "./fake-edge-runtime.ts";
import type { FakeManagementApi, FakeProject } from "./fake-management-api.ts";
import { TEST_TOKEN } from "./provider-harness.ts";

export const LEGACY_REF = "rujwuruuosffcxazymit";
export const LEGACY_ORGANIZATION = "love-org";
export const LEGACY_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/legacy-production/migrations");
/** The CLI's versions of those files (it takes any digits before the first `_`). */
export const LEGACY_VERSIONS = ["20251102", "20251105", "20251106", "20251110"];

/** The 2025 backend's functions, as deployed on 2025-10-30. */
export const LEGACY_FUNCTIONS = [
  "admin-login", "admin-set-call-interval", "admin-status", "clinic-exit", "events-stream", "health", "metrics",
  "notify-status", "path-choose", "patient-login", "pin-generate", "pin-status", "pin-verify", "queue-call",
  "queue-cancel", "queue-done", "queue-enter", "queue-position", "queue-status", "reports-annual", "reports-daily",
  "reports-monthly", "reports-weekly", "route-create", "route-get", "stats-dashboard", "stats-queues",
];

export const LEGACY_REDIRECT_URLS = "https://mmc-mms.com/**,https://www.mmc-mms.com/**,http://localhost:5173/**";
export const LEGACY_SCHEMAS = "public,graphql_public,storage";

export const LEGACY_TABLES = [
  "admin_users", "clinic_counters", "clinics", "exam_types", "login_audit", "notifications", "pathways", "patients",
  "pins", "queue_history", "queues", "reports", "system_settings",
];

export interface LegacyProduction {
  project: FakeProject;
  /** Rows per legacy table, to show that none was lost. */
  rowCounts(): Promise<Record<string, number>>;
  /** The functions' ids and active versions, to show which were left running. */
  functionVersions(): Record<string, { id: string; version: number | undefined }>;
  /**
   * What the anon role gets reading a table of public (or calling a function of it: "get_current_pins()"), as
   * PostgREST would run the query: "<n> rows" or the error.
   */
  readAsAnon(relation: string): Promise<string>;
  /** Every row of the migration history (supabase_migrations.schema_migrations), by version. */
  migrationHistory(): Promise<({ version: string } & Record<string, unknown>)[]>;
}

export async function createLegacyProduction(api: FakeManagementApi): Promise<LegacyProduction> {
  const project = api.addProject({ name: "mmc-mms", organizationSlug: LEGACY_ORGANIZATION, region: "ap-south-1", ref: LEGACY_REF });
  await (await supabaseCli()).push(await api.databaseUrl(LEGACY_REF), LEGACY_MIGRATIONS_DIR);
  for (const slug of LEGACY_FUNCTIONS) await deployLegacyFunction(api, LEGACY_REF, slug);
  project.authConfig["site_url"] = "https://mmc-mms.com";
  project.authConfig["uri_allow_list"] = LEGACY_REDIRECT_URLS;
  project.postgrest["db_schema"] = LEGACY_SCHEMAS;
  return {
    project,
    async rowCounts() {
      const sql = await api.sql(LEGACY_REF);
      const counts: Record<string, number> = {};
      for (const table of LEGACY_TABLES) {
        const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from public.${table}`);
        counts[table] = row?.n ?? -1;
      }
      return counts;
    },
    functionVersions() {
      return Object.fromEntries([...project.functions].map(([slug, fn]) => [slug, { id: fn.id, version: fn.activeVersion }]));
    },
    async readAsAnon(relation) {
      const sql = await api.sql(LEGACY_REF);
      return sql
        .begin(async (tx) => {
          await tx.unsafe("set local role anon");
          return `${(await tx.unsafe(`select * from public.${relation}`)).length} rows`;
        })
        .catch((error: Error) => error.message);
    },
    async migrationHistory() {
      const sql = await api.sql(LEGACY_REF);
      return [...(await sql<({ version: string } & Record<string, unknown>)[]>`select * from supabase_migrations.schema_migrations order by version`)];
    },
  };
}

/** A function URL of the project, as the frontend's host reaches it through the edge runtime (with the anon key). */
export function callLegacyFunction(host: FakeEdgeRuntime, slug: string, rest = "", init: RequestInit = {}): Promise<Response> {
  return fetch(`${host.url}/${LEGACY_REF}/functions/v1/${slug}${rest}`, { ...init, headers: { authorization: "Bearer anon-key", ...init.headers } });
}

/**
 * True when the path reached a function of ours: a contract answer (even a 404: an unknown route, a patient not in a
 * queue), not the gateway's "function not found" and not a legacy function.
 */
export async function reachesOurs(host: FakeEdgeRuntime, slug: string, rest = "", init: RequestInit = {}): Promise<boolean> {
  const response = await callLegacyFunction(host, slug, rest, init);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return !(response.status === 404 && body["message"] === "Requested function was not found") && !("legacy" in body);
}

/** Deployed through the API as the CLI deploys (active at once, verify_jwt on): a function answering who it is. */
async function deployLegacyFunction(api: FakeManagementApi, ref: string, slug: string): Promise<void> {
  const source = `Deno.serve((request) => Response.json({ legacy: ${JSON.stringify(slug)}, path: new URL(request.url).pathname }));\n`;
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify({ name: slug, entrypoint_path: "index.ts" })], { type: "application/json" }));
  form.append("file", new Blob([source], { type: "application/typescript" }), "index.ts");
  const response = await fetch(`${api.url}/v1/projects/${ref}/functions/deploy?slug=${slug}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
    body: form,
  });
  if (response.status !== 201) throw new Error(`deploying legacy function ${slug}: HTTP ${response.status} ${await response.text()}`);
}
