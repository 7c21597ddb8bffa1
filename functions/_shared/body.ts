// Request pieces the staff endpoints need beyond validation.ts: a bounded body that may be a form
// (POST /admin/login is form-urlencoded from App.jsx, JSON from other clients), the idempotency key header,
// and small query parsers. Like validation.ts, nothing here turns bad input into a 5xx.
import { HttpError } from "./http.ts";
import { type JsonObject, readBodyText, readJsonObject } from "./validation.ts";

/** A form-urlencoded or JSON object body of at most 64 KiB (413 above). Form fields become strings. */
export async function readFormOrJson(request: Request): Promise<JsonObject> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("application/x-www-form-urlencoded")) {
    const text = await readBodyText(request);
    const body: JsonObject = {};
    for (const [name, value] of new URLSearchParams(text)) {
      if (!(name in body)) body[name] = value;
    }
    return body;
  }
  if (type.includes("multipart/form-data")) throw new HttpError(415, "Send the form as application/x-www-form-urlencoded or JSON");
  return await readJsonObject(request);
}

const REQUEST_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The idempotency key of a staff action: X-Request-Id or Idempotency-Key (as love-api's client sends it).
 * null when absent; "invalid" when present but malformed (the caller refuses rather than ignoring it).
 */
export function requestKey(request: Request): string | null | "invalid" {
  const raw = request.headers.get("idempotency-key") ?? request.headers.get("x-request-id");
  if (raw === null || raw.trim() === "") return null;
  const value = raw.trim();
  return REQUEST_KEY.test(value) ? value : "invalid";
}

/** A whole number in [min, max] from a query or body value; null otherwise. */
export function parseWholeNumber(value: unknown, min: number, max: number): number | null {
  if (typeof value === "string" && /^\s*[0-9]{1,9}\s*$/.test(value)) value = Number(value);
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) return null;
  return value;
}


