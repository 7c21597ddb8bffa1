import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { enterQueue } from "../_shared/queue-repository.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { missingFields, parseClinic, parseUserKey, pick, readJsonObject } from "../_shared/validation.ts";


/**
 * Contract row 2: {clinic, user, isAutoEntry} → the ticket. Idempotent: the frontend calls it twice per clinic
 * (isAutoEntry false, then true), retries it and replays it; every call returns the same ticket.
 */
export async function queueEnter({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const rawClinic = pick(body, "clinic", "clinicId");
  const rawUser = pick(body, "user", "patientId");
  const missing = missingFields({ clinic: rawClinic, user: rawUser });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const user = parseUserKey(rawUser);
  if (user === null) return postFailure("INVALID_USER");
  return postResponse(await afterQueueWrite(await enterQueue(clinic, user, businessNow(request)), clinic));
}
