// During a preview, inputs that come from resources not created yet arrive as this placeholder.
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when none of the values is the preview's placeholder for a value not known yet. */
export function allKnown(...values: unknown[]): boolean {
  return values.every((value) => value === undefined || !JSON.stringify(value).includes(UNKNOWN));
}
