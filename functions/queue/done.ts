import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { completeQueue } from "../_shared/queue-repository.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { missingFields, parseClinic, parsePin, parseUserKey, pick, readJsonObject } from "../_shared/validation.ts";


/**
 * Contract row 5: {clinic, user, pin} → DONE. The PIN is checked in Postgres against the clinic's PIN of the
 * current PIN day, with a lockout per (user, clinic). Failures are HTTP 200 {success:false}; a replay after
 * success is a successful no-op. The answer never contains a PIN.
 */
export async function queueDone({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const rawClinic = pick(body, "clinic", "clinicId");
  const rawUser = pick(body, "user", "patientId");
  const missing = missingFields({ clinic: rawClinic, user: rawUser });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const user = parseUserKey(rawUser);
  if (user === null) return postFailure("INVALID_USER");
  const pin = parsePin(body.pin);
  return postResponse(await afterQueueWrite(await completeQueue(clinic, user, pin ?? null, businessNow(request)), clinic));
}
