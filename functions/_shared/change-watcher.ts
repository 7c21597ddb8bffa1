// Wake-ups for held reads, one watcher per isolate: while any request waits, it reads the current versions of the
// topics (clinics) they wait on every `intervalMs`, in one query for all of them, and wakes each waiter whose
// topic moved past the version it started from. A waiter also ends at its deadline, when its client goes (its
// AbortSignal), or when the isolate is shutting down. Nothing is read while nobody waits, and no connection or
// transaction is kept between reads, so it works through a transaction pooler with any number of isolates.

export type WaitOutcome =
  | { kind: "changed"; version: number }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "shutdown" };

/** The current version of each topic asked for (a topic absent from the answer is at version 0). */
export type VersionReader = (topics: string[]) => Promise<Record<string, number>>;

interface Waiter {
  topic: string;
  baseline: number;
  settle(outcome: WaitOutcome): void;
}

export class ChangeWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reading = false;

  constructor(
    private readonly readVersions: VersionReader,
    private readonly intervalMs: number,
    private readonly onReadError: (error: unknown) => void = () => {},
  ) {}

  /** How many requests wait now. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Resolves once `topic` is past `baseline`, at `until` (epoch ms), when `signal` aborts, or on releaseAll(). */
  wait(topic: string, baseline: number, until: number, signal: AbortSignal): Promise<WaitOutcome> {
    if (signal.aborted) return Promise.resolve({ kind: "aborted" });
    return new Promise((resolve) => {
      const onAbort = () => waiter.settle({ kind: "aborted" });
      const deadline = setTimeout(() => waiter.settle({ kind: "timeout" }), Math.max(0, until - Date.now()));
      const waiter: Waiter = {
        topic,
        baseline,
        settle: (outcome) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(deadline);
          signal.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      this.schedule();
    });
  }

  /** Ends every wait now (the isolate is going away): their requests are answered instead of cut off. */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.settle({ kind: "shutdown" });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.reading || this.waiters.size === 0) return;
    this.timer = setTimeout(() => void this.read(), this.intervalMs);
  }

  private async read(): Promise<void> {
    this.timer = undefined;
    if (this.waiters.size === 0) return;
    this.reading = true;
    try {
      const topics = [...new Set([...this.waiters].map((waiter) => waiter.topic))];
      const versions = await this.readVersions(topics);
      for (const waiter of [...this.waiters]) {
        const version = versions[waiter.topic] ?? 0;
        if (version > waiter.baseline) waiter.settle({ kind: "changed", version });
      }
    } catch (error) {
      // The database is briefly out: waiters keep waiting; their deadlines still answer them.
      this.onReadError(error);
    } finally {
      this.reading = false;
      this.schedule();
    }
  }
}
