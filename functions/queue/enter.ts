import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postResponse } from "../_shared/outcomes.ts";
import { enterQueue } from "../_shared/queue-repository.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { readJsonObject } from "../_shared/validation.ts";
import { queueTarget } from "./target.ts";


/**
 * Contract row 2: {clinic, user, isAutoEntry} → the ticket. Idempotent: the frontend calls it twice per clinic
 * (isAutoEntry false, then true), retries it and replays it; every call returns the same ticket.
 */
export async function queueEnter({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const target = queueTarget(body);
  if (target instanceof Response) return target;
  const { clinic, user } = target;
  return postResponse(await afterQueueWrite(await enterQueue(clinic, user, businessNow(request)), clinic));
}
