import { databaseBreakerState, pingDatabase } from "../_shared/db.ts";
import { json } from "../_shared/http.ts";
import { releaseVersion } from "../_shared/env.ts";

/** Contract row 15: api-unified only checks `response.ok`; the body is the union of earlier shapes. */
export async function healthStatus(): Promise<Response> {
  let database: { status: "up" | "down"; latency_ms?: number; error?: string; breaker: string };
  try {
    const latency = await pingDatabase();
    database = { status: "up", latency_ms: latency, breaker: databaseBreakerState() };
  } catch (error) {
    console.error("health: database check failed:", (error as Error).message);
    database = { status: "down", error: "database unreachable", breaker: databaseBreakerState() };
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
