import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { parseClinic } from "../_shared/validation.ts";
import { pinStatus } from "../_shared/staff-repository.ts";

/**
 * Contract row 7, admins only (bug S2): {success, date, reset_time:"05:00", timezone:"Asia/Qatar",
 * pins:{<clinic>:{pin, clinic, active, generatedAt}}} plus AdminPINMonitor's dateKey/allPins/totalIssued and,
 * with ?clinic=, currentPin.
 */
export async function pinStatusHandler({ request, params }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  const raw = params.get("clinic") || params.get("clinicId");
  let clinic: string | null = null;
  if (raw) {
    clinic = parseClinic(raw);
    if (clinic === null) return getFailure("INVALID_CLINIC");
  }
  return getResponse(await pinStatus(clinic, businessNow(request)));
}
