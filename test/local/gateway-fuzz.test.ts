// The gateway under malformed traffic at the raw-socket level (issue 15, M1 and item 5), against `npm start` as a
// user runs it, so a crash is the process exiting: malformed request lines, hosts and absolute-form targets
// (`GET http://[/` killed it before), invalid methods, broken headers, huge headers, bad chunked bodies, smuggling
// attempts, slow partial requests, pipelining, resets, plus seeded random mutations (LOVE_FUZZ_SEED). After all of
// it the gateway still answers, no function worker was restarted, no answer was a 5xx or showed a stack trace, and
// a stop leaves no process behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/ports.ts";
import net from "node:net";
import { rm } from "node:fs/promises";
import path from "node:path";
import { commandLine, descendants, stackProcesses, watchDescendants } from "../support/processes.ts";
import { rawExchange, type RawExchange } from "../support/raw-http.ts";
import { seededRandom } from "../support/seeded-random.ts";
import { FIXTURE_FUNCTIONS, startStack, tempDir, type TestStack } from "../support/stack.ts";
import { type NpmStart, startNpmStart, waitForOutput } from "../support/npm-start.ts";

let cli: NpmStart;
let port: number;
let pgPort: number;
let dir: string;
let watcher: ReturnType<typeof watchDescendants>;
let workersAtStart: number[];

const denoWorkers = () => descendants(cli.child.pid!).filter((pid) => /\/deno run /.test(commandLine(pid)));

const H = "Host: 127.0.0.1\r\n";
const health = `GET /api/v1/health/status HTTP/1.1\r\n${H}\r\n`;

/** Named cases: the bytes, and what must hold beyond "no 5xx, no stack trace, the gateway lives". */
const CASES: { name: string; payload: string | Buffer | (string | Buffer)[]; expect?: (exchange: RawExchange) => void; options?: Parameters<typeof rawExchange>[2] }[] = [
  // Request lines and targets
  { name: "absolute-form with a broken host (M1)", payload: `GET http://[/ HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([400]) },
  { name: "absolute-form, bracket never closed, with a path", payload: `GET http://[::1/api/v1/health/status HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([400]) },
  { name: "absolute-form with a bad percent-escape host", payload: `GET http://%zz/ HTTP/1.1\r\n${H}\r\n` },
  { name: "absolute-form with credentials and no host", payload: `GET http://a:b@/x HTTP/1.1\r\n${H}\r\n` },
  { name: "absolute-form to another host routes by path", payload: `GET https://evil.example/api/v1/health/status HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([200]) },
  { name: "asterisk-form", payload: `OPTIONS * HTTP/1.1\r\n${H}\r\n` },
  { name: "asterisk-form GET", payload: `GET * HTTP/1.1\r\n${H}\r\n` },
  { name: "unknown HTTP version", payload: `GET /api/v1/health/status HTTP/9.9\r\n${H}\r\n` },
  { name: "HTTP/2 preface", payload: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" },
  { name: "trailing garbage on the request line", payload: `GET / HTTP/1.1 extra\r\n${H}\r\n` },
  { name: "method only", payload: "GET\r\n\r\n" },
  { name: "empty lines only", payload: "\r\n\r\n\r\n" },
  { name: "garbage", payload: "GARBAGE\r\n\r\n" },
  { name: "binary noise", payload: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)) },
  { name: "NUL in the target", payload: `GET /api/v1/health/\u0000status HTTP/1.1\r\n${H}\r\n` },
  { name: "raw non-ASCII bytes in the target", payload: Buffer.from(`GET /api/v1/\xff\xfe/x HTTP/1.1\r\n${H}\r\n`, "latin1") },
  { name: "dot segments out of the API", payload: `GET /api/v1/../../../etc/passwd HTTP/1.1\r\n${H}\r\n` },
  { name: "encoded dot segments", payload: `GET /functions/v1/%2e%2e/%2e%2e/admin/x HTTP/1.1\r\n${H}\r\n` },
  { name: "encoded NUL segment", payload: `GET /api/v1/%00/x HTTP/1.1\r\n${H}\r\n` },
  { name: "broken query escapes", payload: `GET /api/v1/health/status?%zz=%&&=&%00 HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([200]) },
  { name: "double slash", payload: `GET //api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "100 KB target", payload: `GET /api/v1/health/status?${"a".repeat(100_000)} HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([431]) },
  // Methods
  { name: "unknown method", payload: `BREW /api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "lower-case method", payload: `get /api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "method with a digit", payload: `G3T /api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "CONNECT to Postgres", payload: `CONNECT 127.0.0.1:5432 HTTP/1.1\r\n${H}\r\n` },
  { name: "TRACE", payload: `TRACE /api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "PROPFIND to a function", payload: `PROPFIND /api/v1/queue/status HTTP/1.1\r\n${H}\r\n` },
  { name: "HEAD", payload: `HEAD /api/v1/health/status HTTP/1.1\r\n${H}\r\n` },
  { name: "DELETE with a body", payload: `DELETE /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}` },
  // Hosts
  { name: "no Host", payload: "GET /api/v1/health/status HTTP/1.1\r\n\r\n", expect: (x) => expect(x.statuses).toEqual([400]) },
  { name: "HTTP/1.0 without Host", payload: "GET /api/v1/health/status HTTP/1.0\r\n\r\n" },
  { name: "two Hosts", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}Host: evil.example\r\n\r\n` },
  { name: "Host is a bracket", payload: "GET /api/v1/health/status HTTP/1.1\r\nHost: [\r\n\r\n" },
  { name: "empty Host", payload: "GET /api/v1/health/status HTTP/1.1\r\nHost: \r\n\r\n" },
  { name: "Host with a space", payload: "GET /api/v1/health/status HTTP/1.1\r\nHost: a b\r\n\r\n" },
  { name: "Host of colons", payload: "GET /api/v1/health/status HTTP/1.1\r\nHost: ::::\r\n\r\n" },
  { name: "8 KB Host", payload: `GET /api/v1/health/status HTTP/1.1\r\nHost: ${"h".repeat(8_000)}\r\n\r\n` },
  // Headers
  { name: "header without a colon", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}NoColonHere\r\n\r\n` },
  { name: "space before the colon", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Test : 1\r\n\r\n` },
  { name: "obsolete line folding", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Test: a\r\n b\r\n\r\n` },
  { name: "NUL in a header value", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Test: a\u0000b\r\n\r\n` },
  { name: "bare CR in a header value", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Test: a\rb\r\n\r\n` },
  { name: "LF-only line endings", payload: "GET /api/v1/health/status HTTP/1.1\nHost: 127.0.0.1\n\n" },
  { name: "non-token header name", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X(T)e{s}t: 1\r\n\r\n` },
  { name: "obs-text in a header value", payload: Buffer.from(`GET /api/v1/health/status HTTP/1.1\r\n${H}X-Test: \xe9\xff\r\n\r\n`, "latin1"), expect: (x) => expect(x.statuses).toEqual([200]) },
  { name: "3,000 headers", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}${Array.from({ length: 3_000 }, (_, i) => `X-${i}: 1\r\n`).join("")}\r\n` },
  { name: "one 20 KB header", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Big: ${"b".repeat(20_000)}\r\n\r\n`, expect: (x) => expect(x.statuses).toEqual([431]) },
  { name: "10 KB X-Forwarded-For chain", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Forwarded-For: ${Array.from({ length: 700 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(", ")}\r\n\r\n` },
  { name: "negative Content-Length", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n` },
  { name: "non-numeric Content-Length", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n` },
  { name: "two different Content-Lengths", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}` },
  { name: "Content-Length with Transfer-Encoding (smuggling)", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/v1/admin/status HTTP/1.1\r\n${H}\r\n`, expect: (x) => expect(x.statuses).toEqual([400]) },
  { name: "Transfer-Encoding not ending in chunked", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n` },
  { name: "Content-Length larger than the body", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n{"a":1}` },
  { name: "body on a GET", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`, expect: (x) => expect(x.statuses).toEqual([200]) },
  { name: "Expect: 100-continue", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}` },
  { name: "WebSocket upgrade to the event stream", payload: `GET /api/v1/events/stream HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n` },
  { name: "h2c upgrade", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n` },
  { name: "Connection naming a forwarding header", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}Connection: close, X-Forwarded-For\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n`, expect: (x) => expect(x.statuses).toEqual([200]) },
  // Chunked bodies
  { name: "chunk size not hex", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n` },
  { name: "chunk without its CRLF", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n` },
  { name: "chunk size overflowing 64 bits", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n0\r\n\r\n` },
  { name: "chunk longer than its data, then close", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n400\r\nshort` },
  { name: "garbage chunk extension", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;\u0001=\u0002\r\n{}\r\n0\r\n\r\n` },
  { name: "junk trailers", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX Y Z\r\n\r\n` },
  { name: "valid chunked JSON", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, expect: (x) => expect(x.statuses).toEqual([200]) },
  { name: "7 MB chunked body", payload: [`POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 7 }, () => `100000\r\n${"x".repeat(0x100000)}\r\n`), "0\r\n\r\n"], expect: (x) => expect(x.statuses).toEqual([413]) },
  // Pipelining
  { name: "five pipelined requests, one broken target among them", payload: `${health}${health}GET http://[/ HTTP/1.1\r\n${H}\r\n${health}${health}`, expect: (x) => expect(x.statuses).toEqual([200, 200, 400, 200, 200]) },
  { name: "pipelined requests ending in garbage", payload: `${health}${health}${health}GARBAGE\r\n\r\n` },
  { name: "pipelined request after a body", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}${health}`, expect: (x) => expect(x.statuses).toEqual([200, 200]) },
  // Connections cut short
  { name: "reset in the middle of the headers", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}X-Half`, options: { reset: true } },
  { name: "reset in the middle of a body", payload: `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\n{"user":`, options: { reset: true } },
  { name: "half-closed before the headers end", payload: `GET /api/v1/health/status HTTP/1.1\r\n${H}` },
];

/** Holds for every answer: no 5xx of the gateway's or a function's making, no stack trace. */
function assertSane(name: string, exchange: RawExchange): void {
  for (const status of exchange.statuses) expect(status, `${name}: ${exchange.data.slice(0, 300)}`).toBeLessThan(500);
  expect(exchange.data, name).not.toMatch(/\n\s+at .*:\d+:\d+/);
}

async function stillServing(): Promise<void> {
  expect(cli.child.exitCode, cli.output()).toBeNull();
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/health/status`);
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ success: true });
}

describe("raw-socket fuzz of the gateway (npm start, real functions)", () => {
  beforeAll(async () => {
    dir = await tempDir("love-fuzz-gw-");
    port = await freePort();
    pgPort = await freePort();
    cli = startNpmStart({
      PORT: String(port),
      PG_PORT: String(pgPort),
      LOCAL_DATA_DIR: path.join(dir, "pg"),
      LOVE_MONITORING: "0",
      LOVE_RATE_LIMIT_PER_MINUTE: "0",
    }, ["--fresh"]);
    watcher = watchDescendants(cli.child.pid!);
    await waitForOutput(cli, "ready in", 90_000);
    workersAtStart = denoWorkers().sort();
  }, 120_000);

  afterAll(async () => {
    watcher?.stop();
    if (cli && cli.child.exitCode === null) {
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("answers or closes every malformed request, never 5xx, and keeps serving", async () => {
    for (const chunk of chunked(CASES, 8)) {
      const exchanges = await Promise.all(chunk.map((c) => rawExchange(port, c.payload, c.options)));
      chunk.forEach((c, index) => {
        const exchange = exchanges[index]!;
        assertSane(c.name, exchange);
        c.expect?.(exchange);
      });
      await stillServing();
    }
  }, 120_000);

  it("seeded random mutations of valid requests: never 5xx, never a crash", async () => {
    const seed = Number(process.env.LOVE_FUZZ_SEED ?? 20261201);
    const random = seededRandom(seed);
    const bases = [
      health,
      `GET /api/v1/queue/status?clinic=lab HTTP/1.1\r\n${H}Origin: https://example.com\r\n\r\n`,
      `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: 30\r\n\r\n{"clinic":"lab","user":"u-1"}`,
      `POST /api/v1/queue/enter HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      `GET http://127.0.0.1/functions/v1/events/stream?clinic=lab HTTP/1.1\r\n${H}\r\n`,
    ];
    const SPECIALS = ["\r", "\n", "\r\n", "\0", " ", ":", "[", "%", "\t", "\x7f", "\xff", ",", ";", "\r\n\r\n", "HTTP/1.1"];
    const mutate = (text: string): string => {
      let out = text;
      const edits = 1 + Math.floor(random() * 4);
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(random() * out.length);
        const kind = random();
        if (kind < 0.35) out = out.slice(0, at) + SPECIALS[Math.floor(random() * SPECIALS.length)] + out.slice(at);
        else if (kind < 0.6) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 8));
        else if (kind < 0.8) out = out.slice(0, at) + String.fromCharCode(Math.floor(random() * 256)) + out.slice(at + 1);
        else out = out.slice(0, at) + out.slice(at, at + Math.floor(random() * 40)).repeat(2 + Math.floor(random() * 3)) + out.slice(at);
      }
      return out;
    };
    const cases = Array.from({ length: 400 }, (_, i) => ({ name: `mutation ${i} (seed ${seed})`, payload: Buffer.from(mutate(bases[i % bases.length]!), "latin1") }));
    const seen = new Map<number, number>();
    for (const chunk of chunked(cases, 20)) {
      const exchanges = await Promise.all(chunk.map((c) => rawExchange(port, c.payload, { idleMs: 800 })));
      chunk.forEach((c, index) => {
        assertSane(`${c.name}: ${JSON.stringify(c.payload.toString("latin1")).slice(0, 200)}`, exchanges[index]!);
        for (const status of exchanges[index]!.statuses) seen.set(status, (seen.get(status) ?? 0) + 1);
      });
    }
    // The mutations reached both the parser's refusals and the functions.
    expect(seen.get(400) ?? 0).toBeGreaterThan(20);
    expect(seen.get(200) ?? 0).toBeGreaterThan(20);
    await stillServing();
  }, 180_000);

  it("slow partial requests do not hold up anyone else", async () => {
    // 200 clients each dribbling a request that never ends; meanwhile ordinary requests are answered.
    const slow = Array.from({ length: 200 }, () => net.connect({ port, host: "127.0.0.1" }));
    await Promise.all(slow.map((socket) => new Promise((resolve) => socket.once("connect", resolve))));
    const drip = setInterval(() => {
      for (const socket of slow) if (!socket.destroyed) socket.write("X-Slow: 1\r\n");
    }, 200);
    for (const socket of slow) socket.write(`GET /api/v1/health/status HTTP/1.1\r\n${H}`);
    try {
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/api/v1/health/status`).then((r) => r.status)));
      const seconds = (performance.now() - started) / 1000;
      expect(answers).toEqual(Array(20).fill(200));
      // Not a speed target: a stuck gateway would take the 30 s header timeout, not seconds.
      expect(seconds).toBeLessThan(10);
    } finally {
      clearInterval(drip);
      for (const socket of slow) socket.destroy();
    }
    await stillServing();
  }, 60_000);

  it("counted the malformed requests it answered itself, and restarted no function", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{function="gateway",route="\/gateway\/:malformed",method="-",status="400"\} \d+/);
    expect(metrics).toMatch(/http_requests_total\{function="gateway",route="\/gateway\/:malformed",method="GET",status="400"\} \d+/);
    // Every worker is the one that booted: no request crashed a function.
    expect(denoWorkers().sort()).toEqual(workersAtStart);
    expect(workersAtStart.length).toBeGreaterThan(10);
  });

  it("stops with nothing left behind", async () => {
    cli.child.kill("SIGTERM");
    expect(await cli.exited, cli.output()).toBe(0);
    watcher.stop();
    expect(watcher.stillAlive()).toEqual([]);
    expect(stackProcesses({ dirs: [dir], gatewayPort: port, pgPort })).toEqual([]);
  });
});

describe("a client that never finishes its headers", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      functionsDir: FIXTURE_FUNCTIONS,
      withoutMigrations: true,
      headersTimeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("gets 408 and loses its socket once the header time is up", async () => {
    const exchange = await rawExchange(Number(new URL(stack.baseUrl).port), [`GET /api/v1/echo/x HTTP/1.1\r\n${H}`, "X-Slow: 1\r\n", "X-Slow: 2\r\n"], {
      pauseMs: 300,
      idleMs: 5_000,
    });
    expect(exchange.statuses).toEqual([408]);
    expect(exchange.closedByServer).toBe(true);
  });
});

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
