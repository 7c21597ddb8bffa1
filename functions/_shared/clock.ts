// The business clock. Every state change takes its instant from here and passes it to the SQL function, so a
// test can freeze time (00:30 Qatar, 05:00 Qatar, ...) without touching the machine's clock.
//
// The override is honoured ONLY when LOVE_ALLOW_CLOCK_OVERRIDE=1 (the local test harness sets it; a deployed
// function never has it): then the `X-Love-Now` request header, else LOVE_FROZEN_NOW, gives the instant.
import { HttpError } from "./http.ts";
import { env } from "./env.ts";

export const CLOCK_HEADER = "x-love-now";

export interface ClockSources {
  allowOverride: boolean;
  header: string | null;
  frozen: string | undefined;
  real: () => Date;
}

/** The business instant as an ISO string. */
export function resolveNow(sources: ClockSources): string {
  if (sources.allowOverride) {
    const override = sources.header ?? sources.frozen;
    if (override !== undefined && override !== null && override !== "") {
      const instant = new Date(override);
      if (Number.isNaN(instant.getTime()) || override.length > 40) {
        throw new HttpError(400, `Invalid clock override: ${override.slice(0, 40)}`);
      }
      return instant.toISOString();
    }
  }
  return sources.real().toISOString();
}

export function businessNow(request?: Request): string {
  return resolveNow({
    allowOverride: env("LOVE_ALLOW_CLOCK_OVERRIDE") === "1",
    header: request?.headers.get(CLOCK_HEADER) ?? null,
    frozen: env("LOVE_FROZEN_NOW"),
    real: () => new Date(),
  });
}
