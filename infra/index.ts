// The Pulumi program (Pulumi.yaml main): reads the stack's configuration, composes the pieces, exports outputs.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadStackConfig } from "./config.ts";
import { SupabaseEnvironment } from "./supabase/environment.ts";
import { readSourceManifest } from "./supabase/source-manifest.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const config = loadStackConfig();
const sources = await readSourceManifest(repoRoot);

const supabase = new SupabaseEnvironment("supabase", { ...config.supabase, sources });

// ── Monitoring ───────────────────────────────────────────────────────────────────────────────────────────────
// Composed here by the monitoring work (infra/monitoring/): kube-prometheus-stack, the High5xxErrorRate rule,
// the dashboard and the Supabase scrape config, created only when config.monitoring.enabled (off on pr-<n>
// stacks unless asked for). It takes what it needs from `supabase` (ref, url) and `config.monitoring`, and
// exports `grafanaUrl` next to the outputs below.
// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────

export const supabaseProjectRef = supabase.ref;
export const supabaseUrl = supabase.url;
/** The frontend host rewrites /api/v1/(.*) to `${apiBaseUrl}/$1`. */
export const apiBaseUrl = supabase.apiBaseUrl;
export const functionUrls = supabase.functionUrls;
