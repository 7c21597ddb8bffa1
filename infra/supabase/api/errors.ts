// Errors that name the endpoint and carry the API's own message, never a token or a request body.

/** The API answered with a non-success status. */
export class ManagementApiError extends Error {
  override readonly name = "ManagementApiError";
  constructor(
    /** `METHOD /v1/...` without the query string. */
    readonly endpoint: string,
    readonly status: number,
    /** The API's `message` (or the response text), redacted. */
    readonly apiMessage: string,
    /** Set when the API asked us to wait (429 / 503): how long, in milliseconds. */
    readonly retryAfterMs?: number,
    note?: string,
  ) {
    super(`${endpoint} failed with HTTP ${status}: ${apiMessage}${note ? ` (${note})` : ""}`);
  }
}

/** The request never got an HTTP answer (DNS, connection reset, timeout). */
export class ManagementApiTransportError extends Error {
  override readonly name = "ManagementApiTransportError";
  constructor(
    readonly endpoint: string,
    readonly causeMessage: string,
  ) {
    super(`${endpoint} got no answer: ${causeMessage}`);
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ManagementApiError && error.status === 404;
}

const MAX_MESSAGE_LENGTH = 500;

/** Extracts the API's message from a response body: `{message}`, `{message: [..]}`, `{error}` or plain text. */
export function apiMessageFrom(bodyText: string): string {
  let message = bodyText.trim();
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (parsed && typeof parsed === "object") {
      const record = parsed as Record<string, unknown>;
      const candidate = record["message"] ?? record["error"] ?? record["msg"];
      if (Array.isArray(candidate)) message = candidate.map(String).join("; ");
      else if (typeof candidate === "string") message = candidate;
    }
  } catch {
    // Not JSON: keep the text.
  }
  if (!message) return "(empty response body)";
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

/** Replaces every occurrence of each secret with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join("[redacted]");
  }
  return result;
}
