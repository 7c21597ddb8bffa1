import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parsePeriod } from "./periods.ts";

const now = "2032-04-11T21:30:00Z"; // 00:30 on 12 April in Qatar
const q = (query: string) => new URLSearchParams(query);

Deno.test("periods default to the current Qatar day, ISO week, month and year", () => {
  assertEquals(parsePeriod("daily", q(""), now), { type: "daily", key: "2032-04-12", from: "2032-04-12", to: "2032-04-12" });
  assertEquals(parsePeriod("weekly", q(""), now), { type: "weekly", key: "2032-W16", from: "2032-04-12", to: "2032-04-18" });
  assertEquals(parsePeriod("monthly", q(""), now), { type: "monthly", key: "2032-04", from: "2032-04-01", to: "2032-04-30" });
  assertEquals(parsePeriod("annual", q(""), now), { type: "annual", key: "2032", from: "2032-01-01", to: "2032-12-31" });
});

Deno.test("explicit periods, ISO week edges and malformed input", () => {
  assertEquals(parsePeriod("weekly", q("week=2026-W01"), now)?.from, "2025-12-29");
  assertEquals(parsePeriod("weekly", q("week=2025-W53"), now), null);
  assertEquals(parsePeriod("weekly", q("week=2020-W53"), now)?.to, "2021-01-03");
  assertEquals(parsePeriod("monthly", q("year=2024&month=2"), now)?.to, "2024-02-29");
  assertEquals(parsePeriod("monthly", q("month=2024-13"), now), null);
  for (const bad of ["date=2031-02-29", "date=31-01-01", "date=2031-1-1", "date=1999-12-31"]) {
    assertEquals(parsePeriod("daily", q(bad), now), null);
  }
  assertEquals(parsePeriod("annual", q("year=abcd"), now), null);
});
