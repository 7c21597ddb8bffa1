// CORS as the frontend needs it (bug S6): allowed origins come from ALLOWED_ORIGINS (comma-separated; an entry
// "https://*.example.com" allows that domain's subdomains) and the request's Origin is reflected, with
// credentials, only when it is allowed. With none configured any origin may read, but then never with
// credentials: `*` and Allow-Credentials are never sent together. The "null" origin is never reflected.

const ALLOWED_HEADERS = "Content-Type, Authorization, apikey, x-client-info, Idempotency-Key, X-Request-Id";
const ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
const EXPOSED_HEADERS = "Retry-After, X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining";

export function corsHeaders(origin: string | null, allowedOrigins: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    "Access-Control-Max-Age": "600",
    "Vary": "Origin",
  };
  if (allowedOrigins.length === 0) {
    headers["Access-Control-Allow-Origin"] = "*";
  } else if (origin && isAllowedOrigin(origin, allowedOrigins)) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Allow-Credentials"] = "true";
  }
  return headers;
}

export function isAllowedOrigin(origin: string, allowedOrigins: readonly string[]): boolean {
  if (origin === "null" || origin.length > 253 || !/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin)) return false;
  return allowedOrigins.some((allowed) => {
    if (allowed === origin) return true;
    const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(allowed);
    if (!wildcard) return false;
    const [, scheme, domain] = wildcard as unknown as [string, string, string];
    return origin.startsWith(scheme) && origin.endsWith(`.${domain}`) && origin.length > scheme.length + domain.length + 1;
  });
}

export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? "").split(",").map((origin) => origin.trim().replace(/\/+$/, "")).filter((origin) =>
    origin !== "" && origin !== "*"
  );
}
