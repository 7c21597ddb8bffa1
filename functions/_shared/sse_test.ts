import assert from "node:assert/strict";
import { createSseStream, formatSse, type SseMessage } from "./sse.ts";

Deno.test("formatSse writes named and unnamed events", () => {
  assert.equal(formatSse({ event: "queue_update", data: { a: 1 } }), 'event: queue_update\ndata: {"a":1}\n\n');
  assert.equal(formatSse({ data: { a: 1 } }), 'data: {"a":1}\n\n');
  assert.equal(formatSse({ data: "x\ny" }), "data: x\ndata: y\n\n");
});

async function readFor(stream: ReadableStream<Uint8Array>, ms: number): Promise<{ text: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = stream.getReader();
  let text = "";
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const next = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(1, deadline - Date.now()))),
    ]);
    if (next === null || next.done) break;
    text += new TextDecoder().decode(next.value);
  }
  return { text, reader };
}

Deno.test("the stream sends open messages, polls, heartbeats, and stops every timer on abort", async () => {
  const controller = new AbortController();
  let polls = 0;
  let closedWith = "";
  const stream = createSseStream({
    open: () => [{ event: "connected", data: { ok: true } }],
    poll: (): SseMessage[] => {
      polls++;
      return polls === 2 ? [{ event: "queue_update", data: { n: polls } }, { data: { n: polls } }] : [];
    },
  }, { signal: controller.signal, pollMs: 10, heartbeatMs: 25, maxLifetimeMs: 60_000, onClose: (r) => (closedWith = r) });
  const { text } = await readFor(stream, 120);
  assert.match(text, /^retry: 3000\n\nevent: connected\ndata: \{"ok":true\}\n\n/);
  assert.match(text, /event: queue_update\ndata: \{"n":2\}\n\ndata: \{"n":2\}\n\n/);
  assert.match(text, /event: heartbeat\ndata: \{"ts":\d+,"type":"heartbeat"\}/);
  controller.abort();
  assert.equal(closedWith, "aborted");
  const pollsAtAbort = polls;
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(polls, pollsAtAbort, "no poll after abort");
  // Deno's test sanitizer also fails this test if any interval or timeout is still pending.
});

Deno.test("cancelling the body stops the timers", async () => {
  let closedWith = "";
  const stream = createSseStream({ open: () => [], poll: () => [] }, {
    signal: new AbortController().signal, pollMs: 10, heartbeatMs: 10, maxLifetimeMs: 60_000,
    onClose: (r) => (closedWith = r),
  });
  const { reader } = await readFor(stream, 30);
  await reader.cancel();
  assert.equal(closedWith, "cancelled");
});

Deno.test("the stream ends by itself at its maximum lifetime", async () => {
  let closedWith = "";
  const stream = createSseStream({ open: () => [], poll: () => [] }, {
    signal: new AbortController().signal, pollMs: 10, heartbeatMs: 10, maxLifetimeMs: 40,
    onClose: (r) => (closedWith = r),
  });
  const reader = stream.getReader();
  while (!(await reader.read()).done) { /* drain */ }
  assert.equal(closedWith, "lifetime");
});

Deno.test("a failing poll is reported and the stream keeps going", async () => {
  const controller = new AbortController();
  const errors: unknown[] = [];
  let polls = 0;
  const stream = createSseStream({
    open: () => [],
    poll: () => {
      polls++;
      if (polls === 1) throw new Error("database down");
      return [{ data: { polls } }];
    },
  }, { signal: controller.signal, pollMs: 10, heartbeatMs: 1_000, maxLifetimeMs: 60_000, onError: (e) => errors.push(e) });
  const { text } = await readFor(stream, 60);
  controller.abort();
  assert.equal(errors.length, 1);
  assert.match(text, /data: \{"polls":2\}/);
});
