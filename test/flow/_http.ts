// A client that talks to the local stack the way the frontend does: same-origin /api/v1 paths, only
// `Content-Type: application/json`. It records every response body so a suite can assert what was never sent.

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface CallOptions {
  /** Freezes the business clock for this request (honoured only with LOVE_ALLOW_CLOCK_OVERRIDE=1). */
  now?: string;
  headers?: Record<string, string>;
  /** A raw body, sent as is. */
  raw?: string;
}

export class Api {
  readonly bodies: { path: string; text: string }[] = [];

  constructor(readonly baseUrl: string, readonly prefix = "/api/v1") {}

  async post(path: string, body: unknown, options: CallOptions = {}): Promise<ApiResponse> {
    return this.send("POST", path, options.raw ?? JSON.stringify(body), options);
  }

  async get(path: string, options: CallOptions = {}): Promise<ApiResponse> {
    return this.send("GET", path, undefined, options);
  }

  private async send(method: string, path: string, body: string | undefined, options: CallOptions): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(method === "POST" ? { "Content-Type": "application/json" } : {}), ...options.headers };
    if (options.now) headers["x-love-now"] = options.now;
    const response = await fetch(`${this.baseUrl}${this.prefix}${path}`, { method, headers, body });
    const text = await response.text();
    this.bodies.push({ path, text });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
}

/** An instant given as Asia/Qatar wall-clock time (UTC+3, no DST), e.g. qatar("2030-03-10T00:30"). */
export function qatar(localDateTime: string): string {
  return new Date(`${localDateTime}:00+03:00`).toISOString();
}

export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** An open event stream, parsed as it arrives. */
export class SseReader {
  readonly events: SseEvent[] = [];
  private buffer = "";
  private readonly done: Promise<void>;

  private constructor(readonly response: Response, private readonly controller: AbortController) {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          this.buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = this.buffer.indexOf("\n\n")) !== -1) {
            const block = this.buffer.slice(0, end);
            this.buffer = this.buffer.slice(end + 2);
            const lines = block.split("\n");
            const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
            const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
            if (lines.some((l) => l.startsWith("data:"))) this.events.push({ event, data });
          }
        }
      } catch {
        // aborted
      }
    })();
  }

  static async open(url: string): Promise<SseReader> {
    const controller = new AbortController();
    // No headers at all: EventSource cannot send any.
    const response = await fetch(url, { signal: controller.signal });
    return new SseReader(response, controller);
  }

  /** Waits until `predicate` holds for the events so far. */
  async waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for SSE events; got: ${JSON.stringify(this.events).slice(0, 2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.events;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
