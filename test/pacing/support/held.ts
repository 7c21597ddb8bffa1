// Reads of queue/position that may be held, with their timing, and the ways to end them.

export interface ReadResult {
  status: number;
  body: any;
  /** Time from sending to the whole answer. */
  ms: number;
}

export interface PendingRead {
  answer: Promise<ReadResult>;
  /** Abandons the read (the client goes away). */
  abort(): void;
  /** Whether the answer is still outstanding after `ms`. */
  pendingAfter(ms: number): Promise<boolean>;
}

/** GET `url` (optionally as `address`), answer timed; never rejects except on abort (then {status: 0}). */
export function read(url: string, address?: string): PendingRead {
  const controller = new AbortController();
  const started = performance.now();
  let settled = false;
  const answer = (async (): Promise<ReadResult> => {
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        headers: address ? { "X-Forwarded-For": address } : {},
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: response.status, body, ms: performance.now() - started };
    } catch {
      return { status: 0, body: undefined, ms: performance.now() - started };
    } finally {
      settled = true;
    }
  })();
  return {
    answer,
    abort: () => controller.abort(),
    pendingAfter: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return !settled;
    },
  };
}
