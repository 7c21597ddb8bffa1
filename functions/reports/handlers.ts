import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { parseWholeNumber } from "../_shared/body.ts";
import { report, reportsHistory } from "../_shared/staff-repository.ts";
import { parsePeriod, type ReportType } from "./periods.ts";

/** GET /reports/{daily,weekly,monthly,annual} → {success, report:{date, total_patients, clinics[], ...}}. */
export function reportHandler(type: ReportType) {
  return async ({ request, params }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> => {
    const now = businessNow(request);
    const period = parsePeriod(type, params, now);
    if (!period) return getFailure("INVALID_PERIOD");
    return getResponse(await report(type, period.key, period.from, period.to, admin.id, now));
  };
}

/** Contract row 19: GET /reports/history[?limit=] → {success, reports:[{name, size, date, ...}]} (newest first). */
export async function reportsHistoryHandler({ params }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  const rawLimit = params.get("limit");
  const limit = rawLimit ? parseWholeNumber(rawLimit, 1, 100) : 20;
  if (limit === null) return getFailure("INVALID_LIMIT");
  return getResponse(await reportsHistory(limit));
}
