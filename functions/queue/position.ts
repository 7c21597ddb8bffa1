import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { noteEntrySeen } from "../_shared/entry-sightings.ts";
import { pacedRead, pacingSettings } from "../_shared/pacing.ts";
import { queuePosition, queuePositionPaced } from "../_shared/queue-repository.ts";
import { missingFields, parseClinic, parseUserKey } from "../_shared/validation.ts";

/**
 * Contract row 3: display_number is the position code (−1 done, 0 your turn / in service, N ahead). Paced: the
 * frontend asks again the moment it has an answer, so a repeat of an unchanged answer is held until it changes
 * (see _shared/pacing.ts). The first answer for a ticket also marks it seen (its holder's page is there: issue 15,
 * H3).
 */
export async function queuePositionHandler({ request, params }: RequestContext): Promise<Response> {
  const rawClinic = params.get("clinic") ?? params.get("clinicId") ?? undefined;
  const rawUser = params.get("user") ?? params.get("patientId") ?? undefined;
  const missing = missingFields({ clinic: rawClinic || undefined, user: rawUser || undefined });
  if (missing.length > 0) return getFailure("MISSING_FIELDS", { missing_fields: missing });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return getFailure("INVALID_CLINIC");
  const user = parseUserKey(rawUser);
  if (user === null) return getFailure("INVALID_USER");
  const pacing = pacingSettings();
  const position = pacing.enabled
    ? await pacedRead(request, "/position", pacing, (mode, seen) =>
      queuePositionPaced(clinic, user, businessNow(request), mode, seen, pacing.repeatWithinMs))
    : await queuePosition(clinic, user, businessNow(request));
  await noteEntrySeen(position, businessNow(request));
  return getResponse(position);
}
