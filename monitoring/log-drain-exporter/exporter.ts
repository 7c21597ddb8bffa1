// The log-drain exporter: receives Supabase Log Drain batches and serves the metrics contract on /metrics.
//   POST /  or  POST /drain   a batch (JSON array, NDJSON; gzip or not), authenticated by a shared secret header
//   GET  /metrics             Prometheus text format (the contract + the exporter's own counters)
//   GET  /healthz             200 "ok"
// Events are deduplicated by id (a drain may deliver an event twice), so a retried batch counts once.
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Counter, Gauge } from "prom-client";
import { ContractMetrics } from "../contract-metrics.ts";
import { BatchError, classifyEvent, eventKey, parseBatch, type Classified, type LogEvent } from "./drain.ts";

const gunzip = promisify(zlib.gunzip);

export const DEFAULT_TOKEN_HEADER = "x-log-drain-token";
export const DRAIN_PATHS = ["/", "/drain"] as const;

export interface ExporterOptions {
  /** The shared secret the drain sends in `header` (configured as a custom header of the Supabase drain). */
  token: string;
  /** Header carrying the token; default x-log-drain-token. */
  header?: string;
  /** Event ids remembered for deduplication (least recently seen forgotten first); default 100 000. */
  dedupCapacity?: number;
  /** function_id → slug, for metric lines seen before any invocation of their function. */
  functionNames?: Readonly<Record<string, string>>;
  /** Largest request body accepted, as sent (compressed); default 5 MiB. */
  maxBodyBytes?: number;
  /** Largest body after gunzip; default 32 MiB. */
  maxDecodedBytes?: number;
}

export interface IngestSummary {
  invocations: number;
  metricEvents: number;
  duplicates: number;
  ignored: number;
}

/** A set that forgets its least recently seen keys beyond `capacity`. */
export class RecentKeys {
  private readonly keys = new Map<string, true>();
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a positive integer, got ${capacity}`);
  }

  /** True when `key` was seen before (and refreshes it); otherwise remembers it and returns false. */
  seen(key: string): boolean {
    if (this.keys.has(key)) {
      this.keys.delete(key);
      this.keys.set(key, true);
      return true;
    }
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return false;
  }

  get size(): number {
    return this.keys.size;
  }
}

const MAX_LEARNED_FUNCTIONS = 1_000;

export class LogDrainExporter {
  readonly metrics = new ContractMetrics();
  private readonly header: string;
  private readonly tokenDigest: Buffer;
  private readonly recent: RecentKeys;
  private readonly names = new Map<string, string>();
  private readonly configuredNames: Readonly<Record<string, string>>;
  private readonly maxBodyBytes: number;
  private readonly maxDecodedBytes: number;
  private readonly batches = new Counter({
    name: "love_log_drain_batches_total",
    help: "Log drain requests by result (accepted, unauthorized, bad_request, too_large, unsupported)",
    labelNames: ["result"] as const,
    registers: [this.metrics.registry],
  });
  private readonly events = new Counter({
    name: "love_log_drain_events_total",
    help: "Log drain events by outcome (invocation, metric, duplicate, ignored)",
    labelNames: ["outcome"] as const,
    registers: [this.metrics.registry],
  });
  private readonly lastBatch = new Gauge({
    name: "love_log_drain_last_batch_timestamp_seconds",
    help: "Unix time of the last accepted log drain batch",
    registers: [this.metrics.registry],
  });

  constructor(options: ExporterOptions) {
    if (!options.token) throw new Error("the log drain token must not be empty");
    this.header = (options.header ?? DEFAULT_TOKEN_HEADER).toLowerCase();
    this.tokenDigest = digest(options.token);
    this.recent = new RecentKeys(options.dedupCapacity ?? 100_000);
    this.configuredNames = options.functionNames ?? {};
    this.maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
    this.maxDecodedBytes = options.maxDecodedBytes ?? 32 * 1024 * 1024;
    for (const outcome of ["invocation", "metric", "duplicate", "ignored"]) this.events.inc({ outcome }, 0);
  }

  /** Counts a parsed batch. Invocations are read first, so their function ids name the batch's metric lines. */
  ingest(batch: readonly LogEvent[]): IngestSummary {
    const summary: IngestSummary = { invocations: 0, metricEvents: 0, duplicates: 0, ignored: 0 };
    const fresh: Classified[] = [];
    for (const event of batch) {
      if (this.recent.seen(eventKey(event))) {
        summary.duplicates += 1;
        continue;
      }
      const classified = classifyEvent(event);
      if (classified.kind === "invocation" && classified.slug !== undefined) this.learn(classified.functionId, classified.slug);
      fresh.push(classified);
    }
    for (const item of fresh) {
      if (item.kind === "invocation") {
        const fn = item.slug ?? this.nameOf(item.functionId);
        this.metrics.observe(fn, item.route, item.method, item.status, item.seconds);
        summary.invocations += 1;
      } else if (item.kind === "metric" && this.metrics.recordFunctionEvent(this.nameOf(item.functionId), item.event)) {
        summary.metricEvents += 1;
      } else {
        summary.ignored += 1;
      }
    }
    this.events.inc({ outcome: "invocation" }, summary.invocations);
    this.events.inc({ outcome: "metric" }, summary.metricEvents);
    this.events.inc({ outcome: "duplicate" }, summary.duplicates);
    this.events.inc({ outcome: "ignored" }, summary.ignored);
    return summary;
  }

  /** Constant-time check of the shared secret (both sides hashed first, so lengths never leak either). */
  authorized(request: http.IncomingMessage): boolean {
    const value = request.headers[this.header];
    const provided = Array.isArray(value) ? value[0] : value;
    if (provided === undefined) return false;
    return timingSafeEqual(digest(provided), this.tokenDigest);
  }

  /** The node:http request listener. Never throws; a failure inside answers 500. */
  readonly handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    this.route(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { error: "internal error" });
      else response.destroy();
      console.error("log-drain-exporter: request failed:", error);
    });
  };

  private async route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://exporter").pathname;
    if (path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/metrics") {
      if (request.method !== "GET" && request.method !== "HEAD") return refuse(request, response, 405, "use GET");
      const text = await this.metrics.text();
      response.writeHead(200, { "content-type": this.metrics.contentType }).end(request.method === "HEAD" ? undefined : text);
      return;
    }
    if (!(DRAIN_PATHS as readonly string[]).includes(path)) return refuse(request, response, 404, "not found");
    if (request.method !== "POST") return refuse(request, response, 405, "POST log drain batches here");
    if (!this.authorized(request)) {
      this.batches.inc({ result: "unauthorized" });
      return refuse(request, response, 401, `missing or wrong ${this.header} header`);
    }

    const raw = await readLimited(request, this.maxBodyBytes);
    if (raw === undefined) {
      this.batches.inc({ result: "too_large" });
      return refuse(request, response, 413, `body larger than ${this.maxBodyBytes} bytes`);
    }
    const encoding = String(request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    const gzipped = encoding === "gzip" || (raw[0] === 0x1f && raw[1] === 0x8b);
    if (!gzipped && encoding !== "identity" && encoding !== "") {
      this.batches.inc({ result: "unsupported" });
      return reply(response, 415, { error: `content-encoding ${encoding} is not supported (gzip or none)` });
    }
    let body: Buffer;
    try {
      body = gzipped ? await gunzip(raw, { maxOutputLength: this.maxDecodedBytes }) : raw;
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
      this.batches.inc({ result: tooLarge ? "too_large" : "bad_request" });
      return reply(response, tooLarge ? 413 : 400, {
        error: tooLarge ? `body larger than ${this.maxDecodedBytes} bytes once decompressed` : "body is not valid gzip",
      });
    }
    let batch: LogEvent[];
    try {
      batch = parseBatch(body.toString("utf8"));
    } catch (error) {
      if (!(error instanceof BatchError)) throw error;
      this.batches.inc({ result: "bad_request" });
      return reply(response, 400, { error: error.message });
    }
    const summary = this.ingest(batch);
    this.batches.inc({ result: "accepted" });
    this.lastBatch.set(Date.now() / 1000);
    reply(response, 200, { events: batch.length, ...summary });
  }

  private learn(functionId: string, slug: string): void {
    if (this.names.get(functionId) === slug) return;
    if (!this.names.has(functionId) && this.names.size >= MAX_LEARNED_FUNCTIONS) return;
    this.names.set(functionId, slug);
  }

  private nameOf(functionId: string | undefined): string {
    if (functionId === undefined) return "unknown";
    return this.configuredNames[functionId] ?? this.names.get(functionId) ?? functionId;
  }
}

export interface RunningExporter {
  readonly url: string;
  readonly port: number;
  readonly exporter: LogDrainExporter;
  close(): Promise<void>;
}

/** Starts the exporter on host:port (port 0: a free one). */
export function startExporter(
  options: ExporterOptions & { port?: number; host?: string },
): Promise<RunningExporter> {
  const exporter = new LogDrainExporter(options);
  const server = http.createServer(exporter.handle);
  // Slow or stalled senders must not hold sockets forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port ?? 0, host: options.host ?? "127.0.0.1" }, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
      resolve({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
        port,
        exporter,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
}

/** Answers without reading the body; the connection is closed so an unread body cannot desync it. */
function refuse(request: http.IncomingMessage, response: http.ServerResponse, status: number, message: string): void {
  response.setHeader("connection", "close");
  reply(response, status, { error: message });
  request.resume();
}

/** The whole body, or undefined as soon as it exceeds `limit` bytes (the rest is discarded). */
function readLimited(request: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    request.on("error", reject);
  });
}
