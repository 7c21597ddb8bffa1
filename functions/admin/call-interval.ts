import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse, postFailure, postResponse } from "../_shared/outcomes.ts";
import { parseWholeNumber } from "../_shared/body.ts";
import { missingFields, parseClinic, pick, readJsonObject } from "../_shared/validation.ts";
import { callIntervals, setCallInterval } from "../_shared/staff-repository.ts";
import { CacheInvalidator } from "../_shared/cache-invalidation.ts";
import { cacheKeys } from "../_shared/cache-keys.ts";

/**
 * POST /admin/set-call-interval {clinic, interval_minutes} (the edge variant's `interval` too) →
 * {success, clinic, interval_minutes, message}. Stored and shown; calling stays manual (contract §3.5).
 * Idempotent by nature: the same body sets the same value.
 */
export async function setCallIntervalHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const body = await readJsonObject(request);
  const rawClinic = pick(body, "clinic", "clinicId");
  const rawMinutes = pick(body, "interval_minutes", "intervalMinutes", "interval");
  const missing = missingFields({ clinic: rawClinic, interval_minutes: rawMinutes });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const minutes = parseWholeNumber(rawMinutes, 1, 240);
  if (minutes === null) return postFailure("INVALID_INTERVAL");
  const result = await setCallInterval(clinic, minutes, admin.id, businessNow(request));
  // stats/queues shows the interval; the outbox row of the write (trigger) covers a failed delete here.
  if (result.success) await CacheInvalidator.instance().invalidate([cacheKeys.statsQueues]);
  return postResponse(result);
}

/** GET /admin/call-interval[?clinic=] → {success, intervals:{<clinic>: minutes|null}, interval_minutes}. */
export async function callIntervalHandler({ params }: RequestContext, _admin: AuthenticatedAdmin): Promise<Response> {
  const raw = params.get("clinic") || params.get("clinicId");
  let clinic: string | null = null;
  if (raw) {
    clinic = parseClinic(raw);
    if (clinic === null) return getFailure("INVALID_CLINIC");
  }
  return getResponse(await callIntervals(clinic));
}
