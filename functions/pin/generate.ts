import type { RequestContext } from "../_shared/router.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { requestKey } from "../_shared/body.ts";
import { parseClinic, pick, readJsonObject } from "../_shared/validation.ts";
import { pinGenerate } from "../_shared/staff-repository.ts";

/**
 * Contract row 8, admins only: {clinic?} → fresh PINs for the current PIN day (one clinic, or all), in row 7's
 * shape plus `message`. The old PIN stops working at once. Idempotent per X-Request-Id / Idempotency-Key.
 */
export async function pinGenerateHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const key = requestKey(request);
  if (key === "invalid") return postFailure("INVALID_REQUEST_ID");
  const body = await readJsonObject(request);
  const raw = pick(body, "clinic", "clinicId");
  let clinic: string | null = null;
  if (raw !== undefined) {
    clinic = parseClinic(raw);
    if (clinic === null) return postFailure("INVALID_CLINIC");
  }
  return postResponse(await pinGenerate(clinic, admin.id, key, businessNow(request)));
}
