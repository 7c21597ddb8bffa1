// The unchanged frontend's patient page as a Node object, for loads a browser cannot carry (hundreds of pages):
// the same loop as the replica page (replica/page.js). Its polling "effect" runs again on every answer that sets
// new state, and its first act is another read, so it asks again the moment an answer arrives (no think time);
// each run de-duplicates only within itself and starts a 20 s interval, both dropped when the next run starts.
// Failed reads are retried 3 times (100, 200, 300 ms), then the round is tried again 5 s later.

export interface PageAnswer {
  at: number;
  status: number;
  body: any;
}

export interface SimulatedPageOptions {
  /** `http://host:port/queue` (a function's own port) or `<stack>/api/v1/queue` (through the gateway). */
  queueUrl: string;
  clinic: string;
  user: string;
  /** The address the page's requests come from (X-Forwarded-For, as the frontend host's rewrite sets it). */
  address: string;
  /** Sees every answer to a position read. */
  onAnswer?: (page: SimulatedPage, answer: PageAnswer) => void;
}

const INTERVAL_MS = 20_000;

export class SimulatedPage {
  readonly statuses = new Map<number, number>();
  requests = 0;
  number: number | undefined;
  private closed = false;
  private readonly inFlight = new Set<AbortController>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private interval: ReturnType<typeof setInterval> | undefined;
  private effectQueued = false;

  constructor(readonly options: SimulatedPageOptions) {}

  /** The page loads: enters its clinic, reads its position, and its loop starts. */
  async open(): Promise<void> {
    const entered = await this.send("POST", "/enter", { clinic: this.options.clinic, user: this.options.user, isAutoEntry: true });
    if (entered?.body?.success) this.number = entered.body.number;
    await this.readPosition();
    this.stateChanged();
  }

  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    for (const timer of this.timers) clearTimeout(timer);
    clearInterval(this.interval);
  }

  /** New state: the effect runs again (after the render, as React does), dropping the previous run's interval. */
  private stateChanged(): void {
    if (this.closed || this.effectQueued) return;
    this.effectQueued = true;
    this.later(() => {
      this.effectQueued = false;
      this.runEffect();
    }, 0);
  }

  private runEffect(): void {
    clearInterval(this.interval);
    const last = { key: undefined as string | undefined };
    const update = async () => {
      const answer = await this.readPosition();
      if (this.closed) return;
      if (!answer) {
        this.later(update, 5_000);
        return;
      }
      const key = `${this.options.clinic}-${answer.display_number}`;
      if (last.key === key) return;
      last.key = key;
      this.stateChanged();
    };
    void update();
    this.interval = setInterval(() => void update(), INTERVAL_MS);
  }

  /** One read as the frontend's getQueuePosition makes it: validated, retried 3 times. */
  private async readPosition(): Promise<any | undefined> {
    for (let attempt = 0; attempt <= 3 && !this.closed; attempt++) {
      const answer = await this.send("GET", `/position?clinic=${this.options.clinic}&user=${this.options.user}`);
      if (answer) this.options.onAnswer?.(this, answer);
      const body = answer?.body;
      if (answer && answer.status < 300 && body?.success && typeof body.display_number === "number" && body.ahead >= 0) {
        return body;
      }
      await new Promise((resolve) => this.later(resolve, (attempt + 1) * 100));
    }
    return undefined;
  }

  private async send(method: "GET" | "POST", path: string, body?: unknown): Promise<PageAnswer | undefined> {
    if (this.closed) return undefined;
    const controller = new AbortController();
    this.inFlight.add(controller);
    this.requests++;
    try {
      const response = await fetch(`${this.options.queueUrl}${path}`, {
        method,
        signal: controller.signal,
        headers: { "Content-Type": "application/json", "X-Forwarded-For": this.options.address },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { at: Date.now(), status: response.status, body: parsed };
    } catch {
      if (!this.closed) this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1);
      return undefined;
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private later(run: (value?: unknown) => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, ms);
    this.timers.add(timer);
  }
}
