// The input of the PinGuessingSuspected alert (issue 15, C1): every try to finish a clinic with a PIN
// (queue/done, clinic/exit) is counted by clinic and result as pin_attempts_total. A replay of a finished
// clinic checks no PIN and is not counted; neither are tries for a ticket that does not exist.
import { MetricTally } from "./metric-tally.ts";
import type { PinAttemptResult } from "./metrics.ts";
import type { SqlResult } from "./outcomes.ts";

const FAILURES = new Map<string, PinAttemptResult>([
  ["WRONG_PIN", "wrong"],
  ["PIN_LOCKED", "locked"],
  ["NOT_YOUR_TURN", "not_your_turn"],
]);

// Tries come in bursts under attack: summed per clinic and result, one line per second at most.
const attempts = new MetricTally<`${string} ${PinAttemptResult}`>((key, count) => {
  const at = key.lastIndexOf(" ");
  return { type: "pin_attempt", clinic: key.slice(0, at), result: key.slice(at + 1) as PinAttemptResult, count };
});

export function recordPinAttempt(result: SqlResult): void {
  if (typeof result.clinic !== "string") return;
  const outcome = result.success ? (result.already_done === true ? undefined : "correct") : FAILURES.get(String(result.code));
  if (outcome) attempts.count(`${result.clinic} ${outcome}`);
}
