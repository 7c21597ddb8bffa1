import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse } from "../_shared/outcomes.ts";
import { cachedQueueStatus } from "../_shared/queue-cache.ts";
import { parseClinic } from "../_shared/validation.ts";

/** Contract row 4: the union of the shapes the frontend's readers expect (see love.queue_status). */
export async function queueStatusHandler({ request, params }: RequestContext): Promise<Response> {
  const rawClinic = params.get("clinic") || params.get("clinicId");
  if (!rawClinic) return getFailure("MISSING_FIELDS", { missing_fields: ["clinic"] });
  const clinic = parseClinic(rawClinic);
  if (clinic === null) return getFailure("INVALID_CLINIC");
  return getResponse(await cachedQueueStatus(clinic, businessNow(request)));
}
