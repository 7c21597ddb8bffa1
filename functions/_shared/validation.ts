// Input validation for the examinee endpoints: bounded body reading and one parser per field. Parsers return
// the normalised value or null; they never throw on bad input (bad input must never become a 5xx).
import { HttpError } from "./http.ts";

export const MAX_BODY_BYTES = 64 * 1024;

export type JsonObject = Record<string, unknown>;

/**
 * Reads a JSON object body of at most `maxBytes`. An empty body is `{}`. Over the limit → 413; not JSON or
 * not an object → 400 (the frontend always sends a JSON object, so only other clients ever see these).
 */
export async function readJsonObject(request: Request, maxBytes = MAX_BODY_BYTES): Promise<JsonObject> {
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === "") return {};
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

export const MAX_STATIONS = 30;
export const MAX_STATIONS_BYTES = 16 * 1024;
/** Route stations: an array of 1–30 objects, each with a string id, 16 KiB at most; stored verbatim. */
export function parseStations(value: unknown): JsonObject[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATIONS) return null;
  if (!value.every((station) => isPlainObject(station) && parseClinic(station.id) !== null)) return null;
  if (new TextEncoder().encode(JSON.stringify(value)).byteLength > MAX_STATIONS_BYTES) return null;
  if (!storableInJsonb(value)) return null;
  return value as JsonObject[];
}

/** Whether jsonb can hold the value: Postgres refuses NUL characters and lone surrogates (a 500 if they reached it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storableText = (text: string) => !text.includes("\u0000") && !LONE_SURROGATE.test(text);
function storableInJsonb(value: unknown): boolean {
  if (typeof value === "string") return storableText(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(storableInJsonb);
  return Object.entries(value).every(([key, item]) => storableText(key) && storableInJsonb(item));
}

/** The names of the fields whose value is absent. */
export function missingFields(fields: Record<string, unknown>): string[] {
  return Object.entries(fields).filter(([, value]) => value === undefined).map(([name]) => name);
}
