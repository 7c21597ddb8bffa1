import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { requestKey } from "../_shared/body.ts";
import { CacheInvalidator } from "../_shared/cache-invalidation.ts";
import { readJsonObject } from "../_shared/validation.ts";
import { queueCall } from "../_shared/staff-repository.ts";
import { queueClinic } from "./target.ts";

/**
 * Contract row 6, admins only (bugs D1, S5): {clinic} → the longest-waiting patient is CALLED. Concurrent calls
 * get different patients; nobody is completed implicitly; with X-Request-Id / Idempotency-Key a replay returns
 * the first answer and calls nobody. "No patients waiting" is HTTP 200 {success:false} (POST rule).
 */
export async function queueCallHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const key = requestKey(request);
  if (key === "invalid") return postFailure("INVALID_REQUEST_ID");
  const clinic = queueClinic(await readJsonObject(request));
  if (clinic instanceof Response) return clinic;
  const result = await queueCall(clinic, admin.id, key, businessNow(request));
  if (result.success && result.replayed === false) {
    await CacheInvalidator.invalidateQueueCache(String(result.clinic));
  }
  return postResponse(result);
}
