// Server-Sent Events with a lifecycle that cannot leak: every timer is owned by the stream and cleared when
// the client goes (request.signal aborts or the body is cancelled), when the stream reaches its maximum
// lifetime (EventSource reconnects by itself), or when writing fails.

export interface SseMessage {
  /** The event name; omitted → an unnamed message (what `EventSource.onmessage` receives). */
  event?: string;
  data: unknown;
}

export interface SseSource {
  /** Messages sent once, right after the stream opens. */
  open(): Promise<SseMessage[]> | SseMessage[];
  /** Called every `pollMs`; returns the messages to send (often none). */
  poll(): Promise<SseMessage[]> | SseMessage[];
  /** The heartbeat message (default: `event: heartbeat` with {ts, type:'heartbeat'}). */
  heartbeat?(): SseMessage;
}

export interface SseOptions {
  signal: AbortSignal;
  pollMs: number;
  heartbeatMs: number;
  /** Close after this long; the browser reconnects after `retryMs`. */
  maxLifetimeMs: number;
  retryMs?: number;
  onError?: (error: unknown) => void;
  /** Observes the stream's end (tests use it to prove timers stop). */
  onClose?: (reason: "aborted" | "cancelled" | "lifetime" | "error") => void;
}

export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
  Connection: "keep-alive",
};

export function formatSse(message: SseMessage): string {
  const payload = typeof message.data === "string" ? message.data : JSON.stringify(message.data);
  const lines = payload.split(/\r?\n/).map((line) => `data: ${line}`).join("\n");
  return `${message.event ? `event: ${message.event}\n` : ""}${lines}\n\n`;
}

export function defaultHeartbeat(): SseMessage {
  return { event: "heartbeat", data: { ts: Date.now(), type: "heartbeat" } };
}

export function createSseStream(source: SseSource, options: SseOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let closed = false;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let lifetimeTimer: ReturnType<typeof setTimeout> | undefined;
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;

  const stop = (reason: "aborted" | "cancelled" | "lifetime" | "error") => {
    if (closed) return;
    closed = true;
    clearTimeout(pollTimer);
    clearInterval(heartbeatTimer);
    clearTimeout(lifetimeTimer);
    options.signal.removeEventListener("abort", onAbort);
    if (reason !== "cancelled") {
      try {
        controllerRef?.close();
      } catch {
        // already closed or errored
      }
    }
    options.onClose?.(reason);
  };
  const onAbort = () => stop("aborted");

  const send = (messages: SseMessage[]) => {
    if (closed || messages.length === 0) return;
    try {
      controllerRef?.enqueue(encoder.encode(messages.map(formatSse).join("")));
    } catch (error) {
      options.onError?.(error);
      stop("error");
    }
  };

  const schedulePoll = () => {
    if (closed) return;
    pollTimer = setTimeout(async () => {
      try {
        send(await source.poll());
      } catch (error) {
        // A failed poll (database briefly down) is reported and retried; the stream stays up.
        options.onError?.(error);
      }
      schedulePoll();
    }, options.pollMs);
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      controllerRef = controller;
      if (options.signal.aborted) {
        stop("aborted");
        return;
      }
      options.signal.addEventListener("abort", onAbort);
      controller.enqueue(encoder.encode(`retry: ${options.retryMs ?? 3000}\n\n`));
      heartbeatTimer = setInterval(() => send([(source.heartbeat ?? defaultHeartbeat)()]), options.heartbeatMs);
      lifetimeTimer = setTimeout(() => stop("lifetime"), options.maxLifetimeMs);
      try {
        send(await source.open());
      } catch (error) {
        options.onError?.(error);
      }
      schedulePoll();
    },
    cancel() {
      stop("cancelled");
    },
  });
}

export function sseResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}
