import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { parseWholeNumber, requestKey } from "../_shared/body.ts";
import { CacheInvalidator } from "../_shared/cache-invalidation.ts";
import { cancelEntry } from "../_shared/queue-repository.ts";
import { isText, missingFields, parseClinic, parseUserKey, pick, readJsonObject } from "../_shared/validation.ts";

const MAX_REASON_LENGTH = 64;

/**
 * Staff (issue 15, H3): {clinic, number | user, reason?} → that live ticket is CANCELLED (an absent or invented
 * one). Audited with the admin and the reason; nobody else moves, so everyone behind keeps their order.
 * Cancelling a cancelled ticket is a successful no-op, a done one is NOT_CANCELLABLE; idempotent per
 * X-Request-Id / Idempotency-Key. Failures are HTTP 200 {success:false} (POST rule).
 */
export async function queueCancelHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const key = requestKey(request);
  if (key === "invalid") return postFailure("INVALID_REQUEST_ID");
  const body = await readJsonObject(request);
  const rawClinic = pick(body, "clinic", "clinicId");
  const rawNumber = pick(body, "number", "ticket");
  const rawUser = pick(body, "user", "patientId");
  const missing = [...missingFields({ clinic: rawClinic }), ...(rawNumber === undefined && rawUser === undefined ? ["number"] : [])];
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const number = rawNumber === undefined ? null : parseWholeNumber(rawNumber, 1, 1_000_000);
  if (rawNumber !== undefined && number === null) return postFailure("INVALID_NUMBER");
  const user = rawUser === undefined ? null : parseUserKey(rawUser);
  if (rawUser !== undefined && user === null) return postFailure("INVALID_USER");
  const rawReason = pick(body, "reason");
  if (rawReason !== undefined && !isText(rawReason, MAX_REASON_LENGTH)) return postFailure("INVALID_REASON");
  const reason = typeof rawReason === "string" ? rawReason.trim() : null;
  const result = await cancelEntry(clinic, { number, user }, reason, admin.id, key, businessNow(request));
  if (result.success && result.replayed === false) await CacheInvalidator.invalidateQueueCache(String(result.clinic));
  return postResponse(result);
}
