// The contract's JSON envelope: {success, ...fields}. Every response of every function goes through here.

const NO_CACHE = "no-cache, no-store, must-revalidate";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const merged = new Headers(headers);
  merged.set("Content-Type", "application/json; charset=utf-8");
  merged.set("Cache-Control", NO_CACHE);
  // Answers are data, never a page: text inside them (route stations, names) is not rendered by any browser.
  merged.set("X-Content-Type-Options", "nosniff");
  return new Response(JSON.stringify(body), { status, headers: merged });
}

export function ok(fields: Record<string, unknown> = {}, status = 200): Response {
  return json({ success: true, ...fields }, status);
}

export function fail(status: number, error: string, extra: Record<string, unknown> = {}, headers: HeadersInit = {}): Response {
  return json({ success: false, error, ...extra }, status, headers);
}
