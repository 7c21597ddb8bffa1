// HTTP helpers of the proof: JSON GETs and POSTs with a timeout, errors that say what answered, and the network
// cause fetch() hides behind "fetch failed".

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

export interface RequestOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** A JSON body: the request becomes a POST. */
  json?: unknown;
}

/** Sends the request and parses a JSON answer; a non-2xx answer rejects with HttpError. */
export async function requestJson(url: string, options: RequestOptions): Promise<unknown> {
  const response = await fetch(url, {
    method: options.json === undefined ? "GET" : "POST",
    headers: {
      accept: "application/json",
      ...(options.json === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 300)}`);
  }
}

export function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return requestJson(url, { timeoutMs });
}

/** The message, plus the network cause fetch() hides behind "fetch failed" (e.g. ECONNREFUSED). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return error.message;
  const code = (cause as NodeJS.ErrnoException).code;
  const inner = cause instanceof AggregateError ? cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ") : "";
  return `${error.message}: ${code ?? ""}${code && (inner || cause.message) ? " " : ""}${inner || cause.message}`.trim();
}

export const trimSlashes = (url: string): string => url.replace(/\/+$/, "");
