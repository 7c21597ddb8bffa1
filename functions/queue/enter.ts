import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { postResponse } from "../_shared/outcomes.ts";
import { entryBudget } from "../_shared/entry-budget.ts";
import { pacingSettings } from "../_shared/pacing.ts";
import { enterQueue, forgetPositionAnswer } from "../_shared/queue-repository.ts";
import { clientAddress } from "../_shared/client-identity.ts";
import { afterQueueWrite } from "../_shared/queue-cache.ts";
import { readJsonObject } from "../_shared/validation.ts";
import { queueTarget } from "./target.ts";

let reportedForgetFailure = false;

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
  const result = await afterQueueWrite(ticket, clinic);
  // The page enters, then reads its position, on every load and reload: that read is a first one, not the
  // polling loop's repeat, so it must not be held (pacing.ts).
  if (result.success && pacingSettings().enabled) await forgetPositionAnswer(clinic, user).catch(reportForgetFailure);
  return postResponse(result);
}

function reportForgetFailure(error: Error): void {
  if (reportedForgetFailure) return;
  reportedForgetFailure = true;
  console.error("queue/enter: could not reset the pacing record (the next read may be held):", error.message);
}
