import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postResponse } from "../_shared/outcomes.ts";
import { enterQueue } from "../_shared/queue-repository.ts";
import { entryBudget } from "../_shared/entry-budget.ts";
import { clientAddress } from "../_shared/rate-limit.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { readJsonObject } from "../_shared/validation.ts";
import { queueTarget } from "./target.ts";


/**
 * Contract row 2: {clinic, user, isAutoEntry} → the ticket. Idempotent: the frontend calls it twice per clinic
 * (isAutoEntry false, then true), retries it and replays it; every call returns the same ticket. A new ticket
 * is refused (ENTRY_BUDGET_EXCEEDED, HTTP 200) while the caller's address, or the clinic, already holds its
 * budget of tickets nobody has looked at (issue 15, H3).
 */
export async function queueEnter({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const target = queueTarget(body);
  if (target instanceof Response) return target;
  const { clinic, user } = target;
  const ticket = await enterQueue(clinic, user, clientAddress(request), entryBudget(), businessNow(request));
  return postResponse(await afterQueueWrite(ticket, clinic));
}
