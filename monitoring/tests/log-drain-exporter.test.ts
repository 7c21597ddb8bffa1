// The log-drain exporter over real HTTP, with batches in the documented Log Drain shape
// (tests/fixtures/log-drain-batch.json: function_edge_logs invocations in both the object and the
// one-element-array form, function_logs metric and ordinary lines, API gateway and Postgres events that must
// not count). Last, the bundle the Dockerfile builds, run as its own process.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContractMetrics } from "../contract-metrics.ts";
import { buildExporter } from "../log-drain-exporter/build.ts";
import { classifyEvent, parseBatch, type LogEvent } from "../log-drain-exporter/drain.ts";
import { RecentKeys, startExporter, type RunningExporter } from "../log-drain-exporter/exporter.ts";
import { TESTS_DIR, freePort, removeDir, tempDir, waitFor } from "./support.ts";

const TOKEN = "shared-secret-of-the-drain";
const HEADER = "x-log-drain-token";
const FIXTURE = readFileSync(path.join(TESTS_DIR, "fixtures", "log-drain-batch.json"), "utf8");
const fixture = (): LogEvent[] => JSON.parse(FIXTURE) as LogEvent[];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format (enough for prom-client's output). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    out.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(all: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { [HEADER]: TOKEN },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/drain`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return samples(await response.text());
}

describe("log-drain exporter", () => {
  let server: RunningExporter;

  beforeAll(async () => {
    server = await startExporter({ token: TOKEN, functionNames: { "5a5a-pin": "pin" } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("counts edge-function invocations and the functions' metric lines from a documented batch", async () => {
    const answer = await post(server.url, FIXTURE);
    expect(answer).toEqual({
      status: 200,
      body: { events: 9, invocations: 3, metricEvents: 2, duplicates: 0, ignored: 4 },
    });
    const m = await scrape(server.url);
    const enter = { function: "queue", route: "/queue/enter", method: "POST" };
    expect(value(m, "http_requests_total", { ...enter, status: "200" })).toBe(1);
    expect(value(m, "http_requests_total", { ...enter, status: "503" })).toBe(1);
    expect(value(m, "http_requests_total", { function: "health", route: "/health/status", method: "GET", status: "200" })).toBe(1);
    // Only function_edge_logs count: the API gateway's log of the same call (no function_id) is not a second request.
    expect(m.filter((s) => s.name === "http_requests_total").reduce((sum, s) => sum + s.value, 0)).toBe(3);
    // execution_time_ms 42 and 1500 → seconds, in the contract's buckets.
    expect(value(m, "http_request_duration_seconds_count", enter)).toBe(2);
    expect(value(m, "http_request_duration_seconds_sum", enter)).toBeCloseTo(1.542, 9);
    expect(value(m, "http_request_duration_seconds_bucket", { ...enter, le: "0.05" })).toBe(1);
    expect(value(m, "http_request_duration_seconds_bucket", { ...enter, le: "2.5" })).toBe(2);
    // The metric lines, named by the function id the invocations of the same batch taught.
    const breaker = { function: "queue", dependency: "database" };
    expect(value(m, "circuit_breaker_state", { ...breaker, state: "open" })).toBe(1);
    expect(value(m, "circuit_breaker_state", { ...breaker, state: "closed" })).toBe(0);
    expect(value(m, "circuit_breaker_state", { ...breaker, state: "half_open" })).toBe(0);
    expect(value(m, "circuit_breaker_transitions_total", { ...breaker, from: "closed", to: "open" })).toBe(1);
    expect(value(m, "cache_operations_total", { function: "queue", operation: "get", result: "hit" })).toBe(12);
    expect(value(m, "love_log_drain_events_total", { outcome: "ignored" })).toBe(4);
  });

  it("counts each event once: a re-sent batch and repeated ids within a batch are duplicates", async () => {
    const before = await scrape(server.url);
    const again = await post(server.url, FIXTURE);
    expect(again.body).toMatchObject({ events: 9, invocations: 0, metricEvents: 0, duplicates: 9, ignored: 0 });
    const fresh = { ...fixture()[0], id: "fresh-event-1" };
    const twice = await post(server.url, JSON.stringify([fresh, fresh, fresh]));
    expect(twice.body).toMatchObject({ invocations: 1, duplicates: 2 });
    const after = await scrape(server.url);
    const labels = { function: "queue", route: "/queue/enter", method: "POST", status: "200" };
    expect(value(after, "http_requests_total", labels)).toBe(value(before, "http_requests_total", labels) + 1);
    expect(value(after, "cache_operations_total", { function: "queue" })).toBe(value(before, "cache_operations_total", { function: "queue" }));
    expect(value(after, "love_log_drain_events_total", { outcome: "duplicate" })).toBe(11);
  });

  it("answers 401, in constant time, without the right shared secret, and counts nothing", async () => {
    const batch = JSON.stringify([{ ...fixture()[2], id: "auth-check" }]);
    const attempts: Record<string, string>[] = [{}, { [HEADER]: "wrong" }, { [HEADER]: `${TOKEN}x` }, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of attempts) {
      const answer = await post(server.url, batch, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
    }
    const m = await scrape(server.url);
    expect(value(m, "http_requests_total", { function: "health" })).toBe(1);
    expect(value(m, "love_log_drain_batches_total", { result: "unauthorized" })).toBe(4);
    // /metrics and /healthz are for the cluster (Prometheus, kubelet): no token.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The id was never consumed by the refused requests: the authorized batch still counts.
    expect((await post(server.url, batch)).body).toMatchObject({ invocations: 1, duplicates: 0 });
  });

  it("answers 400 to malformed batches and keeps serving", async () => {
    const bad: [string, string | Buffer, Record<string, string>?][] = [
      ["empty body", ""],
      ["not JSON", "hello"],
      ["truncated JSON", FIXTURE.slice(0, 200)],
      ["a JSON string", '"[]"'],
      ["an array of non-objects", "[1, 2]"],
      ["an array with null", '[{"id":"x"}, null]'],
      ["NDJSON with a broken line", '{"id":"a"}\n{"id":'],
      ["gzip header on plain text", "[]", { "content-encoding": "gzip" }],
      ["truncated gzip", gzipSync(FIXTURE).subarray(0, 40), { "content-encoding": "gzip" }],
    ];
    for (const [what, body, extra] of bad) {
      const answer = await post(server.url, body, { [HEADER]: TOKEN, ...(extra ?? {}) });
      expect(answer.status, what).toBe(400);
      expect(typeof answer.body.error, what).toBe("string");
    }
    const unsupported = await post(server.url, "[]", { [HEADER]: TOKEN, "content-encoding": "br" });
    expect(unsupported.status).toBe(415);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const m = await scrape(server.url);
    expect(value(m, "love_log_drain_batches_total", { result: "bad_request" })).toBe(bad.length);

    // Events of odd shapes inside a valid batch are ignored or bounded, never fatal.
    const odd = await post(
      server.url,
      JSON.stringify([
        { id: "odd-1", metadata: { function_id: "f", request: { method: "POST" }, response: { status_code: "abc" } } },
        { id: "odd-2", metadata: { function_id: "7c1f5d1e-queue", request: { method: "BREW", pathname: "/functions/v1/queue/%00%ff/x" }, response: { status_code: 418 } } },
        { id: "odd-3", event_message: '{"love_metric":{"type":"cache","operation":"get","result":"hit","count":-5}}' },
        { id: "odd-4", event_message: '{"love_metric":{"type":"breaker_state","dependency":"db","state":"exploded"}}' },
        { id: "odd-5", event_message: '{"love_metric": not json' },
        { id: "odd-6", metadata: "a string" },
      ]),
    );
    expect(odd.body).toMatchObject({ events: 6, invocations: 1, metricEvents: 0, ignored: 5 });
    const after = await scrape(server.url);
    expect(value(after, "http_requests_total", { function: "queue", method: "OTHER", status: "418", route: "/queue/:other" })).toBe(1);
  });

  it("accepts gzip (with or without Content-Encoding) and NDJSON", async () => {
    const make = (id: string, status: number): LogEvent => {
      const event = fixture()[0] as { metadata: { response: { status_code: number } } } & LogEvent;
      event.metadata.response.status_code = status;
      return { ...event, id };
    };
    const labels = (status: string) => ({ function: "queue", route: "/queue/enter", method: "POST", status });
    const before = value(await scrape(server.url), "http_requests_total", labels("502"));

    const gz = await post(server.url, gzipSync(JSON.stringify([make("gz-1", 502), make("gz-2", 502)])), { [HEADER]: TOKEN, "content-encoding": "gzip" });
    expect(gz.body).toMatchObject({ invocations: 2 });
    const magic = await post(server.url, gzipSync(JSON.stringify([make("gz-3", 502)])));
    expect(magic.body).toMatchObject({ invocations: 1 });
    const ndjson = [make("nd-1", 502), make("nd-2", 502)].map((e) => JSON.stringify(e)).join("\n");
    expect((await post(server.url, gzipSync(ndjson), { [HEADER]: TOKEN, "content-encoding": "gzip" })).body).toMatchObject({ invocations: 2 });

    expect(value(await scrape(server.url), "http_requests_total", labels("502"))).toBe(before + 5);
  });

  it("names metric lines of a function not yet seen invoking by FUNCTION_NAMES, else by its id", async () => {
    const line = (id: string, functionId: string) => ({
      id,
      event_message: '{"love_metric":{"type":"breaker_state","dependency":"cache","state":"half_open","from":"open"}}',
      metadata: { function_id: functionId },
    });
    await post(server.url, JSON.stringify([line("n-1", "5a5a-pin"), line("n-2", "9999-unknown")]));
    const m = await scrape(server.url);
    expect(value(m, "circuit_breaker_state", { function: "pin", dependency: "cache", state: "half_open" })).toBe(1);
    expect(value(m, "circuit_breaker_state", { function: "9999-unknown", dependency: "cache", state: "half_open" })).toBe(1);
  });
});

describe("log-drain exporter limits", () => {
  it("answers 413 to bodies over the limit, compressed or once decompressed", async () => {
    const server = await startExporter({ token: TOKEN, maxBodyBytes: 2_000, maxDecodedBytes: 50_000 });
    try {
      expect((await post(server.url, "[" + " ".repeat(5_000) + "]")).status).toBe(413);
      const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20)); // 1 MB of spaces, ~1 KB compressed
      expect(bomb.length).toBeLessThan(2_000);
      expect((await post(server.url, bomb, { [HEADER]: TOKEN, "content-encoding": "gzip" })).status).toBe(413);
      expect((await post(server.url, "[]")).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("forgets the least recently seen ids beyond its capacity", () => {
    const keys = new RecentKeys(2);
    expect(keys.seen("a")).toBe(false);
    expect(keys.seen("b")).toBe(false);
    expect(keys.seen("a")).toBe(true); // refreshes a
    expect(keys.seen("c")).toBe(false); // evicts b, the least recently seen
    expect(keys.size).toBe(2);
    expect(keys.seen("a")).toBe(true);
    expect(keys.seen("b")).toBe(false);
  });
});

describe("metric events (the same ContractMetrics as the local gateway)", () => {
  it("sets breaker gauges, counts transitions, adds cache counts and refuses foreign shapes", async () => {
    const shared = new ContractMetrics();
    const events = [
      { type: "breaker_state", dependency: "database", state: "open", from: "closed" },
      { type: "breaker_state", dependency: "database", state: "half_open", from: "open" },
      { type: "breaker_state", dependency: "cache", state: "closed" },
      { type: "cache", operation: "get", result: "miss", count: 3 },
      { type: "cache", operation: "set", result: "ok", count: 1 },
      { type: "cache", operation: "get", result: "miss", count: 2 },
    ];
    for (const event of events) expect(shared.recordFunctionEvent("queue", event)).toBe(true);
    expect(shared.recordFunctionEvent("queue", { type: "breaker_state", dependency: "database", state: "melted" })).toBe(false);
    expect(shared.recordFunctionEvent("queue", { type: "cache", operation: "get", result: "hit", count: -4 })).toBe(false);
    const text = await shared.text();
    expect(text).toContain('circuit_breaker_state{function="queue",dependency="database",state="half_open"} 1');
    expect(text).toContain('circuit_breaker_state{function="queue",dependency="database",state="open"} 0');
    expect(text).toContain('circuit_breaker_transitions_total{function="queue",dependency="database",from="closed",to="open"} 1');
    expect(text).toContain('cache_operations_total{function="queue",operation="get",result="miss"} 5');
    expect(text).not.toContain('result="hit"');
  });

  it("counts PIN attempts per clinic and result (PinGuessingSuspected's input), bounded and checked", async () => {
    const shared = new ContractMetrics();
    expect(shared.recordFunctionEvent("queue", { type: "pin_attempt", clinic: "xr", result: "wrong", count: 4 })).toBe(true);
    expect(shared.recordFunctionEvent("queue", { type: "pin_attempt", clinic: "xr", result: "wrong", count: 2 })).toBe(true);
    expect(shared.recordFunctionEvent("clinic", { type: "pin_attempt", clinic: "xr", result: "not_your_turn" })).toBe(true);
    for (const odd of [
      { type: "pin_attempt", clinic: "xr", result: "guessed", count: 1 },
      { type: "pin_attempt", clinic: "X R'}", result: "wrong", count: 1 },
      { type: "pin_attempt", clinic: "xr", result: "wrong", count: 0 },
      { type: "pin_attempt", result: "wrong", count: 1 },
    ]) expect(shared.recordFunctionEvent("queue", odd), JSON.stringify(odd)).toBe(false);
    // Clinic names come from a log line: a bounded number of them becomes series.
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (shared.recordFunctionEvent("queue", { type: "pin_attempt", clinic: `c${i}`, result: "wrong" })) accepted++;
    expect(accepted).toBeLessThan(64);
    const text = await shared.text();
    expect(text).toContain('pin_attempts_total{function="queue",clinic="xr",result="wrong"} 6');
    expect(text).toContain('pin_attempts_total{function="clinic",clinic="xr",result="not_your_turn"} 1');
  });

  it("classifies documented events and parses every batch form", () => {
    const events = fixture();
    expect(events.map((event) => classifyEvent(event).kind)).toEqual([
      "invocation", "invocation", "invocation", "metric", "metric", "ignored", "ignored", "ignored", "ignored",
    ]);
    expect(classifyEvent(events[1] as LogEvent)).toEqual({
      kind: "invocation", functionId: "7c1f5d1e-queue", slug: "queue", route: "/enter", method: "POST", status: 503, seconds: 1.5,
    });
    expect(parseBatch(FIXTURE)).toHaveLength(9);
    expect(parseBatch(events.map((e) => JSON.stringify(e)).join("\n"))).toEqual(events);
    expect(parseBatch(JSON.stringify(events[0]))).toEqual([events[0]]);
  });
});

describe("the container's bundle (what the Dockerfile builds and runs)", () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await removeDir(dir);
  });

  it("bundles into one file that runs on plain Node, serves a batch and stops cleanly on SIGTERM", async () => {
    dir = await tempDir("exporter-bundle");
    const bundle = path.join(dir, "log-drain-exporter.cjs");
    await buildExporter(bundle);
    const port = await freePort();
    const output: string[] = [];
    child = spawn(process.execPath, [bundle], {
      cwd: dir, // nothing to resolve from: the bundle must be self-contained
      env: { PATH: process.env.PATH ?? "", LOG_DRAIN_TOKEN: TOKEN, PORT: String(port), HOST: "127.0.0.1", FUNCTION_NAMES: '{"5a5a-pin":"pin"}' },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor("the bundled exporter to be healthy", async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined), {
      timeoutMs: 15_000,
      detail: () => output.join(""),
    });
    expect((await post(url, gzipSync(FIXTURE), { [HEADER]: TOKEN, "content-encoding": "gzip" })).body).toMatchObject({ invocations: 3 });
    expect((await post(url, FIXTURE, { [HEADER]: "nope" })).status).toBe(401);
    const m = await scrape(url);
    expect(value(m, "http_requests_total", { function: "queue", status: "503" })).toBe(1);
    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses to start without a token", async () => {
    dir ??= await tempDir("exporter-bundle");
    const bundle = path.join(dir, "log-drain-exporter.cjs");
    if (!existsSync(bundle)) await buildExporter(bundle);
    const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const run = spawn(process.execPath, [bundle], { env: { PATH: process.env.PATH ?? "", PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      run.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
      run.once("exit", (code) => resolve({ code, text }));
    });
    expect(result.code).toBe(2);
    expect(result.text).toContain("LOG_DRAIN_TOKEN");
  });
});
