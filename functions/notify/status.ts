import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { parseWholeNumber } from "../_shared/body.ts";
import { parseClinic } from "../_shared/validation.ts";
import { notifyStatus } from "../_shared/staff-repository.ts";

/**
 * GET /notify/status?clinic=&limit= (old API; admins only) → {success, pin, clinic, notifications[], count}: the
 * latest patient notifications (of a clinic, or all), newest first, without patient identifiers. `pin` is
 * accepted for compatibility and never echoed.
 */
export async function notifyStatusHandler({ params }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  const rawClinic = params.get("clinic") || params.get("clinicId");
  let clinic: string | null = null;
  if (rawClinic) {
    clinic = parseClinic(rawClinic);
    if (clinic === null) return getFailure("INVALID_CLINIC");
  }
  const rawLimit = params.get("limit");
  const limit = rawLimit ? parseWholeNumber(rawLimit, 1, 100) : 20;
  if (limit === null) return getFailure("INVALID_LIMIT");
  const result = await notifyStatus(clinic, limit);
  return getResponse(result.success ? { ...result, pin: null } : result);
}
