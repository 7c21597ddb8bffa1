import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { parseWholeNumber, requestKey } from "../_shared/body.ts";
import { CacheInvalidator } from "../_shared/cache-invalidation.ts";
import { cancelUnseenEntries } from "../_shared/queue-repository.ts";
import { pick, readJsonObject } from "../_shared/validation.ts";
import { queueClinic } from "./target.ts";

/** A page polls its position within a second of taking a ticket; a minute without a look is not a slow page. */
const DEFAULT_MIN_AGE_SECONDS = 60;

/**
 * Staff, one action against a flood (issue 15, H3): {clinic, min_age_seconds?} → every live ticket of the
 * clinic never seen since entering (no position read by its holder) and at least min_age_seconds old (default
 * 60) is CANCELLED, each audited, plus one summary event. Real patients' pages poll, so they stay, with their
 * numbers and order. Idempotent per X-Request-Id / Idempotency-Key.
 */
export async function queueCancelUnseenHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const key = requestKey(request);
  if (key === "invalid") return postFailure("INVALID_REQUEST_ID");
  const body = await readJsonObject(request);
  const clinic = queueClinic(body);
  if (clinic instanceof Response) return clinic;
  const rawAge = pick(body, "min_age_seconds", "minAgeSeconds");
  const minAge = rawAge === undefined ? DEFAULT_MIN_AGE_SECONDS : parseWholeNumber(rawAge, 0, 86_400);
  if (minAge === null) return postFailure("INVALID_MIN_AGE");
  const result = await cancelUnseenEntries(clinic, minAge, admin.id, key, businessNow(request));
  if (result.success && result.replayed === false) await CacheInvalidator.invalidateQueueCache(String(result.clinic));
  return postResponse(result);
}
