// Report periods as the old API named them: daily ?date=YYYY-MM-DD, weekly ?week=YYYY-Www (ISO week, or ?date=
// for the week containing it), monthly ?year=&month= (or ?month=YYYY-MM), annual ?year=. Each defaults to the
// current one (Asia/Qatar). Pure functions; null for anything malformed or outside 2000–2100.

export type ReportType = "daily" | "weekly" | "monthly" | "annual";

export interface Period {
  type: ReportType;
  key: string;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const QATAR_OFFSET_MS = 3 * 3_600_000;

export function qatarDate(nowIso: string): string {
  return new Date(Date.parse(nowIso) + QATAR_OFFSET_MS).toISOString().slice(0, 10);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A real calendar date YYYY-MM-DD in 2000–2100, as UTC midnight ms; null otherwise. */
export function parseDate(value: string): number | null {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 2000 || year > 2100) return null;
  const ms = Date.UTC(year, month - 1, day);
  return isoDate(ms) === value ? ms : null;
}

function isoWeekOf(ms: number): { year: number; week: number; monday: number } {
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0
  const monday = ms - weekday * DAY_MS;
  const thursday = monday + 3 * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { year, week, monday };
}

function weekKey(year: number, week: number): string {
  return `${year}-W${String(week).padStart(2, "0")}`;
}

export function parsePeriod(type: ReportType, params: URLSearchParams, nowIso: string): Period | null {
  const today = qatarDate(nowIso);
  const todayMs = parseDate(today);
  if (todayMs === null) return null;
  const date = params.get("date");
  switch (type) {
    case "daily": {
      const day = date ?? today;
      return parseDate(day) === null ? null : { type, key: day, from: day, to: day };
    }
    case "weekly": {
      const week = params.get("week");
      let monday: number;
      let key: string;
      if (week) {
        const match = /^([0-9]{4})-W([0-9]{2})$/.exec(week);
        if (!match) return null;
        const [year, number] = [Number(match[1]), Number(match[2])];
        if (year < 2000 || year > 2100 || number < 1 || number > 53) return null;
        const jan4 = Date.UTC(year, 0, 4);
        monday = isoWeekOf(jan4).monday + (number - 1) * 7 * DAY_MS;
        const check = isoWeekOf(monday);
        if (check.year !== year || check.week !== number) return null;
        key = week;
      } else {
        const ms = date ? parseDate(date) : todayMs;
        if (ms === null) return null;
        const of = isoWeekOf(ms);
        monday = of.monday;
        key = weekKey(of.year, of.week);
      }
      return { type, key, from: isoDate(monday), to: isoDate(monday + 6 * DAY_MS) };
    }
    case "monthly": {
      let year = Number(today.slice(0, 4));
      let month = Number(today.slice(5, 7));
      const rawMonth = params.get("month");
      const rawYear = params.get("year");
      const combined = rawMonth ? /^([0-9]{4})-([0-9]{2})$/.exec(rawMonth) : null;
      if (combined) {
        year = Number(combined[1]);
        month = Number(combined[2]);
      } else {
        if (rawYear !== null) {
          if (!/^[0-9]{4}$/.test(rawYear)) return null;
          year = Number(rawYear);
        }
        if (rawMonth !== null) {
          if (!/^[0-9]{1,2}$/.test(rawMonth)) return null;
          month = Number(rawMonth);
        }
      }
      if (year < 2000 || year > 2100 || month < 1 || month > 12) return null;
      const first = Date.UTC(year, month - 1, 1);
      const last = Date.UTC(year, month, 1) - DAY_MS;
      return { type, key: isoDate(first).slice(0, 7), from: isoDate(first), to: isoDate(last) };
    }
    case "annual": {
      const rawYear = params.get("year") ?? today.slice(0, 4);
      if (!/^[0-9]{4}$/.test(rawYear)) return null;
      const year = Number(rawYear);
      if (year < 2000 || year > 2100) return null;
      return { type, key: rawYear, from: `${rawYear}-01-01`, to: `${rawYear}-12-31` };
    }
  }
}
