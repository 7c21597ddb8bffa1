// Fixed-window request counters shared by every isolate, without a database write per request: each isolate
// counts here and adds its counts to Postgres in one statement about once a second, learning every client's
// total across isolates in the same round trip. A decision uses that total plus what this isolate counted since,
// so one isolate is exact and several lag each other by at most one flush. Right for abuse ceilings (far above
// what a real client does); not meant for small budgets.

export type CountStore = (
  keys: string[],
  counts: number[],
  windowStart: Date,
  windowSeconds: number,
) => Promise<Record<string, number>>;

export interface WindowCounterOptions {
  windowSeconds?: number;
  flushMs?: number;
  /** Keys kept per window; beyond it the shared totals are forgotten (this isolate's own counts stay). */
  maxKeys?: number;
  onStoreError?: (error: unknown) => void;
}

export class WindowCounter {
  private readonly windowMs: number;
  private readonly flushMs: number;
  private readonly maxKeys: number;
  private window = -1;
  /** Totals across isolates as of the last flush (this window). */
  private shared = new Map<string, number>();
  /** Counted here, not yet sent. */
  private pending = new Map<string, number>();
  /** Being sent now. */
  private sending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly store: CountStore, private readonly options: WindowCounterOptions = {}) {
    this.windowMs = (options.windowSeconds ?? 60) * 1000;
    this.flushMs = options.flushMs ?? 1_000;
    this.maxKeys = options.maxKeys ?? 50_000;
  }

  /** Counts one hit on each key; returns each key's total in the current window, and when that window ends. */
  hit(keys: readonly string[], now = Date.now()): { totals: number[]; windowEndsAt: number } {
    this.roll(now);
    const totals = keys.map((key) => {
      const mine = (this.pending.get(key) ?? 0) + 1;
      this.pending.set(key, mine);
      return (this.shared.get(key) ?? 0) + (this.sending.get(key) ?? 0) + mine;
    });
    if (this.pending.size > this.maxKeys) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    return { totals, windowEndsAt: (this.window + 1) * this.windowMs };
  }

  /** Sends what was counted since the last flush (tests call it; normally a timer does). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
      if (this.pending.size > 0) this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    if (this.pending.size === 0) return;
    const window = this.window;
    this.sending = this.pending;
    this.pending = new Map();
    const keys = [...this.sending.keys()];
    try {
      const totals = await this.store(keys, keys.map((key) => this.sending.get(key)!), new Date(window * this.windowMs),
        this.windowMs / 1000);
      if (window !== this.window) return;
      for (const [key, total] of Object.entries(totals)) this.shared.set(key, Math.max(this.shared.get(key) ?? 0, total));
      if (this.shared.size > this.maxKeys) this.shared.clear();
    } catch (error) {
      // The store is out: keep the counts for the next flush (this isolate still limits on its own counts).
      if (window === this.window) {
        for (const [key, count] of this.sending) this.pending.set(key, (this.pending.get(key) ?? 0) + count);
      }
      this.options.onStoreError?.(error);
    } finally {
      this.sending = new Map();
    }
  }

  private roll(now: number): void {
    const window = Math.floor(now / this.windowMs);
    if (window === this.window) return;
    this.window = window;
    this.shared = new Map();
    this.pending = new Map();
  }
}
