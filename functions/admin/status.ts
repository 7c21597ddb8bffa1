import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { getResponse } from "../_shared/outcomes.ts";
import { adminStatus } from "../_shared/staff-repository.ts";

/**
 * Contract row 12 (AdminPage.loadQueues): {success, queues:{<backend code>:{list, current, served, pin, waiting,
 * ...}}, stats:{total_waiting, total_served, active_clinics}}. Contains PINs: admin token required.
 */
export async function adminStatusHandler({ request }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  return getResponse(await adminStatus(businessNow(request)));
}
