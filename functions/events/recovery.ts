// POST /events/recovery: the page's self-heal report (after three failed polling rounds it sends
// {source, retries, timestamp}, clears its caches and reloads). Validated and bounded, counted in
// frontend_recoveries_total{source}, never stored: a report is a count, not a record, so nothing grows with them.
import type { RequestContext } from "../_shared/router.ts";
import { ok } from "../_shared/http.ts";
import { MetricTally } from "../_shared/metric-tally.ts";
import { postFailure } from "../_shared/outcomes.ts";
import { readJsonObject } from "../_shared/validation.ts";

/** A report is three short fields: anything past 2 KiB is not one (413). */
export const MAX_RECOVERY_BYTES = 2 * 1024;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_RETRIES = 1_000_000;

const recoveries = new MetricTally<string>((source, count) => ({ type: "recovery", source, count }));

export async function eventsRecovery({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request, MAX_RECOVERY_BYTES);
  const source = typeof body.source === "string" ? body.source.trim() : "";
  if (!SOURCE.test(source)) return postFailure("INVALID_RECOVERY", { field: "source" });
  const retries = body.retries;
  if (retries !== undefined && !(Number.isInteger(retries) && (retries as number) >= 0 && (retries as number) <= MAX_RETRIES)) {
    return postFailure("INVALID_RECOVERY", { field: "retries" });
  }
  const timestamp = body.timestamp;
  if (timestamp !== undefined && !(typeof timestamp === "string" && timestamp.length <= 40 && !Number.isNaN(Date.parse(timestamp)))) {
    return postFailure("INVALID_RECOVERY", { field: "timestamp" });
  }
  recoveries.count(source.toLowerCase());
  return ok({ message: "Recovery recorded" });
}
