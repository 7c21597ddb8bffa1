// CORS as the frontend needs it: allowed origins come from ALLOWED_ORIGINS (comma-separated) and are reflected;
// with none configured any origin may read, but then never with credentials.

const ALLOWED_HEADERS = "Content-Type, Authorization, apikey, x-client-info, Idempotency-Key, X-Request-Id";
const ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";

export function corsHeaders(origin: string | null, allowedOrigins: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Max-Age": "600",
  };
  if (allowedOrigins.length === 0) {
    headers["Access-Control-Allow-Origin"] = "*";
  } else if (origin && allowedOrigins.includes(origin)) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Allow-Credentials"] = "true";
    headers["Vary"] = "Origin";
  } else {
    headers["Vary"] = "Origin";
  }
  return headers;
}

export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
}
