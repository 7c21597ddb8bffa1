// What a check may read from the live project during a preview: only inputs the engine already knows. A check that
// reads it puts what it saw into the inputs (`plan`), afresh every time; create and update never keep it.
import { type Connection, isUnknown } from "./context.ts";

/** True when none of the values is, or contains, the engine's placeholder for a value not known yet. */
export function allKnown(...values: unknown[]): boolean {
  return !values.some(isUnknown);
}

/** True when the project the inputs point at, the connection to it and each of `more` are known. */
export function targetKnown(inputs: Connection & { projectRef: string }, ...more: unknown[]): boolean {
  return allKnown(inputs.projectRef, inputs.accessToken, inputs.apiUrl, ...more);
}

/** The inputs without the plan an earlier check put into them. */
export function withoutPlan<T extends { plan?: unknown }>(inputs: T): Omit<T, "plan"> {
  const { plan: _plan, ...rest } = inputs;
  return rest;
}
