// Capacity of the local stack (issue 11's requirement, issue 15 M2): 1,000 open event streams on one function,
// and 1,000 held requests on one function, while other requests (to the same function and to others) are still
// answered. Before, the gateway kept at most 64 sockets per function and the 65th stream waited for one to end.
// Real concurrency: every stream and hold is its own TCP connection through the gateway. Latencies are printed
// (with a baseline measured in the same run, before anything is held) and only bounded loosely: a liveness check,
// not a speed target.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { FIXTURE_FUNCTIONS, startStack, type TestStack } from "../support/stack.ts";
import { openFilesLimit } from "../../local/limits.ts";
import { percentile } from "../support/percentile.ts";

const HELD = 1_000;
const OPEN_BATCH = 100;

interface Open {
  request: http.ClientRequest;
  /** Resolves with the status once headers arrive (and, for a stream, its first bytes). */
  started: Promise<number>;
}

/** One request on its own connection, kept open until `request.destroy()`. */
function open(url: string, waitForBody: boolean): Open {
  let request!: http.ClientRequest;
  const started = new Promise<number>((resolve, reject) => {
    request = http.get(url, { agent: false }, (response) => {
      if (!waitForBody) return resolve(response.statusCode ?? 0);
      response.once("data", () => resolve(response.statusCode ?? 0));
    });
    request.on("error", (error) => reject(error));
  });
  started.catch(() => undefined);
  return { request, started };
}

/** Latencies (ms) of `count` ordinary requests, eight at a time, each checked against its expected status. */
async function ordinaryRequests(urls: { url: string; status: number }[], count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 8) {
    await Promise.all(urls.slice(0, Math.min(8, count - i)).map(async (_, j) => {
      const target = urls[(i + j) % urls.length]!;
      const started = performance.now();
      const response = await fetch(target.url, { signal: AbortSignal.timeout(10_000) });
      await response.text();
      latencies.push(performance.now() - started);
      expect(response.status, target.url).toBe(target.status);
    }));
  }
  return latencies.sort((a, b) => a - b);
}

const figures = (sorted: number[]) =>
  `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;

/** Opens `count` connections in batches (a burst of 1,000 SYNs would overflow the listen backlog). */
async function openMany(url: (i: number) => string, count: number, waitForBody: boolean): Promise<Open[]> {
  const opened: Open[] = [];
  for (let i = 0; i < count; i += OPEN_BATCH) {
    const batch = Array.from({ length: Math.min(OPEN_BATCH, count - i) }, (_, j) => open(url(i + j), waitForBody));
    opened.push(...batch);
    if (waitForBody) await Promise.all(batch.map((o) => o.started));
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return opened;
}

it("the process may open enough files for 1,000 streams through the gateway", () => {
  // The test's own client sockets, the gateway's two per stream: ~3 per stream in this one process.
  expect(openFilesLimit() ?? Infinity).toBeGreaterThanOrEqual(3 * HELD + 500);
});

describe("1,000 open event streams on one function (real functions)", () => {
  let stack: TestStack;
  let streams: Open[] = [];
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const stream of streams) stream.request.destroy();
    await stack?.stop();
  });

  it("all stream at once, and requests to the same function and to others still answer", async () => {
    const ordinary = [
      { url: `${stack.baseUrl}/api/v1/health/status`, status: 200 },
      // The same function as the streams: a malformed clinic is answered by `events` itself.
      { url: `${stack.baseUrl}/api/v1/events/stream?clinic=%3Cnot-a-clinic%3E`, status: 400 },
      { url: `${stack.baseUrl}/api/v1/queue/status?clinic=lab`, status: 200 },
    ];
    await ordinaryRequests(ordinary, 24); // warm-up
    const baseline = await ordinaryRequests(ordinary, 120);

    const started = performance.now();
    streams = await openMany(() => `${stack.baseUrl}/api/v1/events/stream`, HELD, true);
    const openSeconds = (performance.now() - started) / 1000;
    expect(await Promise.all(streams.map((s) => s.started))).toEqual(Array(HELD).fill(200));

    const during = await ordinaryRequests(ordinary, 120);
    // Every stream is still open after the ordinary requests went through.
    expect(streams.every((s) => !s.request.destroyed)).toBe(true);
    console.log(`[capacity] ${HELD} event streams opened in ${openSeconds.toFixed(2)} s; ordinary requests with them open: ` +
      `${figures(during)} (baseline, none open: ${figures(baseline)}; p50 ratio ${(percentile(during, 50) / percentile(baseline, 50)).toFixed(2)})`);
    // Liveness, not speed: a capped pool would leave these waiting for a stream to end (110 s).
    expect(during.at(-1)!).toBeLessThan(5_000);
  }, 120_000);
});

describe("1,000 held requests on one function (fixture `hold`)", () => {
  let stack: TestStack;
  let holds: Open[] = [];
  beforeAll(async () => {
    stack = await startStack({
      functionsDir: FIXTURE_FUNCTIONS,
      withoutMigrations: true,
    });
  });
  afterAll(async () => {
    for (const hold of holds) hold.request.destroy();
    await stack?.stop();
  });

  const heldNow = async () => ((await (await fetch(`${stack.baseUrl}/api/v1/hold/count`)).json()) as { held: number }).held;

  it("all are held at once while the same function and others answer; abandoned holds are released at once", async () => {
    const ordinary = [
      { url: `${stack.baseUrl}/api/v1/hold/count`, status: 200 },
      { url: `${stack.baseUrl}/api/v1/echo/status`, status: 200 },
    ];
    await ordinaryRequests(ordinary, 16);
    const baseline = await ordinaryRequests(ordinary, 120);

    holds = await openMany((i) => `${stack.baseUrl}/api/v1/hold/wait?n=${i}`, HELD, false);
    await expect.poll(heldNow, { timeout: 30_000, interval: 200 }).toBe(HELD);

    const during = await ordinaryRequests(ordinary, 120);
    console.log(`[capacity] ${HELD} requests held; ordinary requests meanwhile: ${figures(during)} ` +
      `(baseline: ${figures(baseline)}; p50 ratio ${(percentile(during, 50) / percentile(baseline, 50)).toFixed(2)})`);
    expect(during.at(-1)!).toBeLessThan(5_000);
    expect(await heldNow()).toBe(HELD);

    // The clients leave: the gateway passes that on, and the function sees every abort.
    for (const hold of holds) hold.request.destroy();
    const released = performance.now();
    await expect.poll(heldNow, { timeout: 10_000, interval: 50 }).toBe(0);
    console.log(`[capacity] ${HELD} abandoned holds released in ${((performance.now() - released) / 1000).toFixed(2)} s`);
  }, 120_000);
});
