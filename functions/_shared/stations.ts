// Route stations (route/create) as the frontend builds them (dynamic-pathways.js: {id, name, nameAr, floor,
// floorCode, code, weight}): flat objects of short scalars, checked field by field and by size. Text stays text:
// a station's strings are stored and returned exactly as sent, inside JSON, never as markup (functions/README.md,
// "What is escaped where"). The database checks the same shape (love.valid_stations).
import { isPlainObject, isText, type JsonObject, parseClinic } from "./validation.ts";

export const MAX_STATIONS = 30;
export const MAX_STATIONS_BYTES = 16 * 1024;
export const MAX_STATION_FIELDS = 16;
/** Any other text field; the frontend's own fields have tighter limits below. */
export const MAX_TEXT_LENGTH = 200;

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const TEXT_FIELDS = new Map<string, number>([
  ["name", 120], ["nameAr", 120], ["nameEn", 120], ["floor", 60], ["floorCode", 8], ["code", 16],
]);

/** The stations when every one has this shape, else null (the caller answers INVALID_STATIONS). */
export function parseStations(value: unknown): JsonObject[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATIONS) return null;
  if (!value.every(isStation)) return null;
  // Flat objects of short scalars: stringifying cannot recurse deeply.
  if (new TextEncoder().encode(JSON.stringify(value)).byteLength > MAX_STATIONS_BYTES) return null;
  return value as JsonObject[];
}

function isStation(station: unknown): boolean {
  if (!isPlainObject(station) || parseClinic(station.id) === null) return false;
  const fields = Object.entries(station);
  if (fields.length > MAX_STATION_FIELDS) return false;
  return fields.every(([name, value]) => FIELD_NAME.test(name) && validField(name, value));
}

function validField(name: string, value: unknown): boolean {
  if (name === "id") return true;
  if (name === "weight") return value === null || isFiniteNumber(value);
  const limit = TEXT_FIELDS.get(name);
  if (limit !== undefined) return isText(value, limit);
  return value === null || typeof value === "boolean" || isFiniteNumber(value) || isText(value, MAX_TEXT_LENGTH);
}

const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
