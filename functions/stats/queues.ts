import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { cacheKeys } from "../_shared/cache-keys.ts";
import { json } from "../_shared/http.ts";
import { statsQueues } from "../_shared/staff-repository.ts";
import { cachedStats } from "./cached.ts";

/**
 * Contract row 14: {success, queues:[{clinic, name, current, current_display, total, waiting, completed, active,
 * ...}], timestamp}; each entry also carries EnhancedAdminDashboard's id/name_ar/name_en/current_load/capacity/
 * occupancy_percent (that component wants a bare array, which no object envelope can be).
 */
export async function statsQueuesHandler({ request }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  return json(await cachedStats(request, cacheKeys.statsQueues, statsQueues));
}
