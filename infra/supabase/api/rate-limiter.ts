// Spaces requests per scope (a project ref, an organization, or the account) so that a scope never sees more
// than `requestsPerSecond`. The Management API allows 120 requests/min per user and scope and then answers 429
// for the rest of the minute; an older documented figure is 60/min, so we default to 2/s and stay under both
// averages while never bursting.

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class ScopedRateLimiter {
  private readonly nextSlot = new Map<string, number>();
  private readonly intervalMs: number;

  constructor(
    requestsPerSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be positive, got ${requestsPerSecond}`);
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /** Resolves when the caller may send its request on `scope`. Slots are handed out in call order. */
  async acquire(scope: string): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot.get(scope) ?? 0);
    this.nextSlot.set(scope, slot + this.intervalMs);
    if (slot > now) await this.clock.sleep(slot - now);
  }

  /** Holds every later request on `scope` until `untilMs` (the API said to back off). */
  pause(scope: string, untilMs: number): void {
    this.nextSlot.set(scope, Math.max(this.nextSlot.get(scope) ?? 0, untilMs));
  }
}
