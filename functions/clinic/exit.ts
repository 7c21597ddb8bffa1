import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { recordPinAttempt } from "../_shared/pin-attempts.ts";
import { exitClinic } from "../_shared/route-repository.ts";
import { missingFields, parseClinic, parsePin, parseUserKey, pick, readJsonObject } from "../_shared/validation.ts";

/**
 * Contract row 18: {patientId, clinicId, pin} → finishes the clinic's ticket with its PIN (same turn rule,
 * check and limits as queue/done; a route alone finishes nothing), marks the route station completed and the
 * next one current.
 */
export async function clinicExit({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const rawPatient = pick(body, "patientId", "user");
  const rawClinic = pick(body, "clinicId", "clinic");
  const missing = missingFields({ patientId: rawPatient, clinicId: rawClinic });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const patient = parseUserKey(rawPatient);
  if (patient === null) return postFailure("INVALID_USER");
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const pin = parsePin(body.pin);
  const result = await exitClinic(patient, clinic, pin ?? null, businessNow(request));
  recordPinAttempt(result);
  return postResponse(await afterQueueWrite(result, clinic));
}
