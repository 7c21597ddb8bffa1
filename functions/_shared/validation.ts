// Input validation for the examinee endpoints: bounded body reading and one parser per field. Parsers return
// the normalised value or null; they never throw on bad input (bad input must never become a 5xx).
import { HttpError } from "./http.ts";

export const MAX_BODY_BYTES = 64 * 1024;
/** Deeper JSON than any contract body needs (route/create's stations are 3 levels) is refused before parsing. */
export const MAX_JSON_DEPTH = 32;

export type JsonObject = Record<string, unknown>;

/**
 * Reads a JSON object body of at most `maxBytes`. An empty body is `{}`. Over the limit → 413; not JSON, nested
 * deeper than MAX_JSON_DEPTH or not an object → 400 (the frontend always sends a shallow JSON object, so only
 * other clients ever see these). Nothing after this ever meets deep input.
 */
export async function readJsonObject(request: Request, maxBytes = MAX_BODY_BYTES): Promise<JsonObject> {
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === "") return {};
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new HttpError(400, `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Invalid JSON body");
  }
  if (!isPlainObject(value)) throw new HttpError(400, "The JSON body must be an object");
  return value;
}

/** The body as text, at most `maxBytes` (413 above, whether declared by Content-Length or streamed). */
export async function readBodyText(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Whether JSON text opens more than `max` arrays/objects inside each other, counted in one pass over the
 * characters (brackets inside strings do not count). Iterative: any depth costs the same stack. Malformed text
 * is left to JSON.parse.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `Request body larger than ${maxBytes} bytes`);
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The first present (non-null, non-empty-string) value among `names`. */
export function pick(body: JsonObject, ...names: string[]): unknown {
  for (const name of names) {
    const value = body[name];
    if (value !== undefined && value !== null && value !== "") return value;
  }
  return undefined;
}

/** A clinic as the frontend names it (UI station id, backend code or alias); resolution happens in SQL. */
const CLINIC = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
export function parseClinic(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return CLINIC.test(trimmed) ? trimmed : null;
}

/** The queue `user`: the session id from login (or any id the frontend's own local login made). */
const USER_KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export function parseUserKey(value: unknown): string | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) value = String(value);
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return USER_KEY.test(trimmed) ? trimmed : null;
}

/** The military/personal number: 2–12 digits (a JSON number is accepted when it is a whole number). */
const PATIENT_NUMBER = /^[0-9]{2,12}$/;
export function parsePatientNumber(value: unknown): string | null {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) value = String(value);
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return PATIENT_NUMBER.test(trimmed) ? trimmed : null;
}

export type Gender = "male" | "female";
export function parseGender(value: unknown): Gender | null {
  if (typeof value !== "string") return null;
  const normalised = value.trim().toLowerCase();
  return normalised === "male" || normalised === "female" ? normalised : null;
}

/**
 * A PIN as typed: undefined when absent or blank (→ "PIN required"); the digits when it looks like a PIN;
 * otherwise a value that can never match (so it counts as a wrong attempt, like any other wrong PIN).
 */
export const NEVER_MATCHING_PIN = "x";
export function parsePin(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) value = String(value);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return NEVER_MATCHING_PIN;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  return /^[0-9]{1,8}$/.test(trimmed) ? trimmed : NEVER_MATCHING_PIN;
}

const EXAM_TYPE = /^[a-z_]{2,32}$/;
export function parseExamType(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const normalised = value.trim().toLowerCase();
  return EXAM_TYPE.test(normalised) ? normalised : null;
}

// Control characters have no place in a name or a reason; NUL and lone surrogates cannot even be stored as jsonb.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Plain text of at most `limit` UTF-16 units: no control characters, no lone surrogates. */
export function isText(value: unknown, limit: number): value is string {
  return typeof value === "string" && value.length <= limit && !CONTROL.test(value) && !LONE_SURROGATE.test(value);
}

/** The names of the fields whose value is absent. */
export function missingFields(fields: Record<string, unknown>): string[] {
  return Object.entries(fields).filter(([, value]) => value === undefined).map(([name]) => name);
}
