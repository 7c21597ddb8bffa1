import { postFailure } from "../_shared/outcomes.ts";
import { type JsonObject, missingFields, parseClinic, parseUserKey, pick } from "../_shared/validation.ts";

/** The clinic and user of a queue POST ({clinic|clinicId, user|patientId}), or the contract's failure answer. */
export function queueTarget(body: JsonObject): { clinic: string; user: string } | Response {
  const rawClinic = pick(body, "clinic", "clinicId");
  const rawUser = pick(body, "user", "patientId");
  const missing = missingFields({ clinic: rawClinic, user: rawUser });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return postFailure("INVALID_CLINIC");
  const user = parseUserKey(rawUser);
  if (user === null) return postFailure("INVALID_USER");
  return { clinic, user };
}

/** The clinic of a staff queue POST ({clinic|clinicId}), or the contract's failure answer. */
export function queueClinic(body: JsonObject): string | Response {
  const rawClinic = pick(body, "clinic", "clinicId");
  const missing = missingFields({ clinic: rawClinic });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  return parseClinic(rawClinic) ?? postFailure("INVALID_CLINIC");
}
