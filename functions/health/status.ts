import { pingDatabase } from "../_shared/db.ts";
import { json } from "../_shared/http.ts";
import { releaseVersion } from "../_shared/env.ts";

const DATABASE_TIMEOUT_MS = 2_000;

/** Contract row 15: api-unified only checks `response.ok`; the body is the union of earlier shapes. */
export async function healthStatus(): Promise<Response> {
  let database: { status: "up" | "down"; latency_ms?: number; error?: string };
  try {
    database = { status: "up", latency_ms: await pingDatabase(DATABASE_TIMEOUT_MS) };
  } catch (error) {
    console.error("health: database check failed", error);
    database = { status: "down", error: "database unreachable" };
  }
  const healthy = database.status === "up";
  return json({
    success: healthy,
    status: healthy ? "healthy" : "unhealthy",
    mode: healthy ? "online" : "offline",
    backend: healthy ? "up" : "down",
    platform: "supabase",
    timestamp: new Date().toISOString(),
    version: releaseVersion(),
    database,
  }, healthy ? 200 : 503);
}
