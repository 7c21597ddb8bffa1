import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postFailure, postResponse } from "../_shared/outcomes.ts";
import { createRoute } from "../_shared/route-repository.ts";
import {
  missingFields,
  parseExamType,
  parseGender,
  parseUserKey,
  pick,
  readJsonObject,
} from "../_shared/validation.ts";
import { parseStations } from "../_shared/stations.ts";

/**
 * Contract row 9: {patientId, examType, gender, stations[]} → {route}. Sticky: an existing route (last 24 h)
 * comes back unchanged with sticky:true. Stations of the frontend's shape (flat, short scalars: stations.ts) are
 * stored as sent; anything else is INVALID_STATIONS; without stations the exam's route is used.
 */
export async function routeCreate({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const rawPatient = pick(body, "patientId", "user", "visitId");
  const rawExam = pick(body, "examType", "queueType");
  const missing = missingFields({ patientId: rawPatient, examType: rawExam });
  if (missing.length > 0) return postFailure("MISSING_FIELDS", { missing_fields: missing });
  const patient = parseUserKey(rawPatient);
  if (patient === null) return postFailure("INVALID_USER");
  const examType = parseExamType(rawExam);
  if (examType === null) return postFailure("UNKNOWN_EXAM_TYPE");
  const rawGender = pick(body, "gender");
  const gender = rawGender === undefined ? null : parseGender(rawGender);
  if (rawGender !== undefined && gender === null) return postFailure("INVALID_GENDER");
  const rawStations = pick(body, "stations");
  const stations = rawStations === undefined ? null : parseStations(rawStations);
  if (rawStations !== undefined && stations === null) return postFailure("INVALID_STATIONS");
  return postResponse(await createRoute(patient, examType, gender, stations, businessNow(request)));
}
