import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { getRoute } from "../_shared/route-repository.ts";
import { parseUserKey } from "../_shared/validation.ts";

/** Contract row 10: ?patientId= → {route:{..., stations}}; 404 "Route not found". */
export async function routeGet({ request, params }: RequestContext): Promise<Response> {
  const raw = params.get("patientId") || params.get("user") || params.get("visitId");
  if (!raw) return getFailure("MISSING_FIELDS", { missing_fields: ["patientId"] });
  const patient = parseUserKey(raw);
  if (patient === null) return getFailure("INVALID_USER");
  return getResponse(await getRoute(patient, businessNow(request)));
}
