// Supabase Log Drain batches, as the HTTP ("custom endpoint") destination sends them: a POST whose JSON body is
// an array of log events (at most 250 per batch, or whatever arrived within 1 s), gzip-compressed unless the
// drain's Gzip option is off. Each event is a Logflare log event: `id`, `timestamp`, `event_message` and
// `metadata`. Two sources matter here:
//   - function_edge_logs (one per invocation, written by the platform, so crashes, boot errors, timeouts and
//     resource-limit responses are in it): metadata.function_id, metadata.execution_time_ms,
//     metadata.deployment_id, metadata.version, metadata.request.{method,pathname}, metadata.response.status_code;
//   - function_logs (what the function printed): event_message is the printed line, metadata.function_id.
// The log explorer shows `metadata` and its records as one-element arrays (BigQuery's repeated records,
// queried with `cross join unnest(metadata)`); both that form and plain objects are accepted.
// Everything here is pure.
import { createHash } from "node:crypto";
import { parseMetricLine } from "../contract-metrics.ts";

export type LogEvent = Record<string, unknown>;

/** The body is not a batch of log events: answered with 400. */
export class BatchError extends Error {}

/** More events than any drain sends in one request (250): a misdirected or hostile body. */
export const MAX_EVENTS_PER_BATCH = 10_000;

/**
 * The events of a batch body: a JSON array of event objects (what the drain sends), a single event object, or
 * NDJSON (one event object per line). Throws BatchError for anything else.
 */
export function parseBatch(text: string): LogEvent[] {
  const body = text.trim();
  if (body === "") throw new BatchError("empty body: expected a JSON array of log events");
  let events: unknown[];
  if (body.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new BatchError(`body is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new BatchError("body is not a JSON array of log events");
    events = parsed;
  } else if (body.startsWith("{")) {
    events = parseObjects(body);
  } else {
    throw new BatchError("body is not JSON: expected a JSON array of log events");
  }
  if (events.length > MAX_EVENTS_PER_BATCH) {
    throw new BatchError(`${events.length} events in one batch (at most ${MAX_EVENTS_PER_BATCH})`);
  }
  events.forEach((event, index) => {
    if (!isRecord(event)) throw new BatchError(`event #${index} is not a JSON object`);
  });
  return events as LogEvent[];
}

/** One JSON object, or NDJSON (one object per line). */
function parseObjects(body: string): unknown[] {
  try {
    return [JSON.parse(body)];
  } catch {
    // Not a single object: NDJSON.
  }
  const events: unknown[] = [];
  body.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      events.push(JSON.parse(line));
    } catch {
      throw new BatchError(`line ${index + 1} is not JSON (expected a JSON array of log events, or NDJSON)`);
    }
  });
  return events;
}

/** What one event means for the metrics. */
export type Classified =
  | {
      kind: "invocation";
      functionId: string;
      /** From the request path /functions/v1/<slug>/...; undefined when the path has another shape. */
      slug: string | undefined;
      /** The path after the slug ("/enter" for /functions/v1/queue/enter), or the whole path without a slug. */
      route: string;
      method: string;
      status: number;
      seconds: number | undefined;
    }
  | { kind: "metric"; functionId: string | undefined; event: unknown }
  | { kind: "ignored"; reason: string };

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const FUNCTION_PATH = /^\/functions\/v1\/([^/?#]+)(\/[^?#]*)?/;
const SLUG = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Classifies an event by its shape (a drain sends every source of the project in one stream):
 * - an invocation: metadata.function_id, metadata.request.method and metadata.response.status_code
 *   (function_edge_logs; the API gateway's edge_logs have no function_id and are not counted twice);
 * - a metric line: event_message starting with `{"love_metric":` (function_logs);
 * - anything else is ignored.
 */
export function classifyEvent(event: LogEvent): Classified {
  const metadata = at(event, "metadata");
  const functionId = stringOrUndefined(at(metadata, "function_id"));
  const status = at(metadata, "response", "status_code");
  const method = at(metadata, "request", "method");
  if (functionId !== undefined && status !== undefined && method !== undefined) {
    const code = typeof status === "string" ? Number(status) : status;
    if (typeof code !== "number" || !Number.isInteger(code) || code < 100 || code > 599) {
      return { kind: "ignored", reason: "invocation without a valid status code" };
    }
    const verb = typeof method === "string" && METHODS.has(method.toUpperCase()) ? method.toUpperCase() : "OTHER";
    const pathname = stringOrUndefined(at(metadata, "request", "pathname")) ?? pathOfUrl(at(metadata, "request", "url"));
    const match = pathname === undefined ? null : FUNCTION_PATH.exec(pathname);
    const slug = match?.[1] !== undefined && SLUG.test(match[1]) ? match[1] : undefined;
    const route = slug !== undefined ? (match?.[2] ?? "") : (pathname ?? "");
    const ms = at(metadata, "execution_time_ms");
    const seconds = typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
    return { kind: "invocation", functionId, slug, route, method: verb, status: code, seconds };
  }
  const message = event.event_message;
  if (typeof message === "string") {
    const metric = parseMetricLine(message);
    if (metric !== undefined) return { kind: "metric", functionId, event: metric };
  }
  return { kind: "ignored", reason: "not an edge-function invocation or metric line" };
}

/** The key deduplication uses: the event's `id`, or a hash of the whole event when it has none. */
export function eventKey(event: LogEvent): string {
  const id = event.id;
  if ((typeof id === "string" && id !== "") || typeof id === "number") return `id:${id}`;
  return `sha256:${createHash("sha256").update(JSON.stringify(event)).digest("hex")}`;
}

/** event.a.b.c, unwrapping one-element arrays (the log explorer's repeated-record form) at every level. */
function at(value: unknown, ...keys: string[]): unknown {
  let current = unwrap(value);
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = unwrap(current[key]);
  }
  return current;
}

function unwrap(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function pathOfUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return new URL(value).pathname;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
