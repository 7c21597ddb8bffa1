import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { loginPatient } from "../_shared/patient-repository.ts";
import { parseGender, parsePatientNumber, pick, readJsonObject } from "../_shared/validation.ts";

const ID_FIELDS = ["patientId", "personalId", "patient_id", "personal_id", "military_number", "militaryNumber"];

/**
 * Contract row 1: {patientId | personalId | ..., gender} → {success, data:{id, patientId, gender, loginTime, status}}.
 * Every login is a new session with a new unguessable id and changes nothing stored about the patient (issue 15,
 * H2): a known military number never leads to someone else's session.
 */
export async function patientLogin({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const rawId = pick(body, ...ID_FIELDS);
  const rawGender = pick(body, "gender");
  const missing = [...(rawId === undefined ? ["patientId"] : []), ...(rawGender === undefined ? ["gender"] : [])];
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const patientNumber = parsePatientNumber(rawId);
  if (patientNumber === null) return postFailure("INVALID_PATIENT_ID");
  const gender = parseGender(rawGender);
  if (gender === null) return postFailure("INVALID_GENDER");
  return postResponse(await loginPatient(patientNumber, gender, businessNow(request)));
}
