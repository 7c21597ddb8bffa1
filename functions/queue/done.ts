import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postResponse } from "../_shared/outcomes.ts";
import { completeQueue } from "../_shared/queue-repository.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { recordPinAttempt } from "../_shared/pin-attempts.ts";
import { parsePin, readJsonObject } from "../_shared/validation.ts";
import { queueTarget } from "./target.ts";


/**
 * Contract row 5: {clinic, user, pin} → DONE. Only when it is the ticket's turn (called, or first in line), the
 * PIN is checked in Postgres against the clinic's PIN of the current PIN day, with per-ticket and per-clinic
 * limits on wrong PINs (issue 15, C1). Failures are HTTP 200 {success:false}; a replay after success is a
 * successful no-op. The answer never contains a PIN. Every try is counted for the PinGuessingSuspected alert.
 */
export async function queueDone({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const target = queueTarget(body);
  if (target instanceof Response) return target;
  const { clinic, user } = target;
  const pin = parsePin(body.pin);
  const result = await completeQueue(clinic, user, pin ?? null, businessNow(request));
  recordPinAttempt(result);
  return postResponse(await afterQueueWrite(result, clinic));
}
