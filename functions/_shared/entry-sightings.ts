// A ticket's holder looked at it (queue/position answered them): from then on it is no longer "unseen", so it
// neither counts against the entry budgets nor is cleared by staff's bulk action (queue/cancel-unseen). Noted
// once per ticket and isolate: the frontend polls many times a second, the database hears of it once.
import type { SqlResult } from "./outcomes.ts";
import { markEntrySeen } from "./queue-repository.ts";

const REMEMBERED = 20_000;
const noted = new Set<string>();

/** After a successful queue/position answer: tell the database once that this ticket's holder is there. */
export async function noteEntrySeen(position: SqlResult, now: string): Promise<void> {
  if (!position.success || typeof position.clinic !== "string" || typeof position.user !== "string") return;
  const key = `${position.clinic}|${position.user}|${position.queue_day}|${position.number}`;
  if (noted.has(key)) return;
  try {
    await markEntrySeen(position.clinic, position.user, now);
  } catch (error) {
    // The position itself was answered; a sighting not recorded now is recorded at the next poll.
    console.error("queue/position: could not record the sighting:", (error as Error).message);
    return;
  }
  noted.add(key);
  if (noted.size > REMEMBERED) noted.delete(noted.values().next().value!);
}
