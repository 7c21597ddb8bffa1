// What a check may read from the live project during a preview: only inputs the engine already knows.
import { isUnknown } from "./context.ts";

/** True when none of the values is, or contains, the engine's placeholder for a value not known yet. */
export function allKnown(...values: unknown[]): boolean {
  return !values.some(isUnknown);
}
