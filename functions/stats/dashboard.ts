import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { cacheKeys } from "../_shared/cache-keys.ts";
import { json } from "../_shared/http.ts";
import { statsDashboard } from "../_shared/staff-repository.ts";
import { cachedStats } from "./cached.ts";

/**
 * Contract row 13 (bug C9): {success, stats:{totalWaiting, activeQueues, completedToday, avgWaitTime}, timestamp}
 * — exactly those four keys in `stats`, as AdminPage reads them. EnhancedAdminDashboard reads the response's top
 * level (completedToday, avgWaitTime, currentPatients, throughputHour), so the same values are repeated there.
 */
export async function statsDashboardHandler({ request }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  const result = await cachedStats(request, cacheKeys.statsDashboard, statsDashboard);
  const stats = result.stats as Record<string, unknown>;
  return json({ ...stats, ...result, stats });
}
