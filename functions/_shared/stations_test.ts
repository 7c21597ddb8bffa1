import assert from "node:assert/strict";
import { MAX_STATIONS, parseStations } from "./stations.ts";

const station = { id: "lab", name: "المختبر", nameAr: "المختبر", floor: "الميزانين", floorCode: "M", code: "LAB", weight: 0 };

Deno.test("parseStations takes the frontend's stations as they are", () => {
  const route = [station, { ...station, id: "xr", code: "XR", weight: 3 }];
  assert.deepEqual(parseStations(route), route);
  assert.deepEqual(parseStations([{ id: "lab", weight: 1 }]), [{ id: "lab", weight: 1 }]);
  // Other scalar fields (other frontend versions add some) and markup-looking text are fine: text stays text.
  const other = { ...station, status: "ready", requiresPin: true, nameEn: "<b>Lab</b> & co", order: 2, note: null };
  assert.deepEqual(parseStations([other]), [other]);
  assert.deepEqual(parseStations([{ id: "lab", name: "😀 المختبر" }]), [{ id: "lab", name: "😀 المختبر" }]);
  assert.equal(parseStations(Array.from({ length: MAX_STATIONS }, () => station))?.length, MAX_STATIONS);
});

Deno.test("parseStations refuses other shapes, types and sizes", () => {
  for (const bad of [
    [], "lab", null, ["lab"], [station, "lab"], [{ name: "no id" }], [{ ...station, id: 5 }], [{ ...station, id: "no such id!" }],
    Array.from({ length: MAX_STATIONS + 1 }, () => station),
    [{ ...station, name: { html: "<b>x</b>" } }], [{ ...station, extra: [1, 2] }], [{ ...station, extra: {} }],
    [{ ...station, name: "x".repeat(121) }], [{ ...station, big: "x".repeat(201) }], [{ ...station, code: "C".repeat(17) }],
    [{ ...station, weight: "heavy" }], [{ ...station, weight: Infinity }], [{ ...station, floorCode: 7 }],
    [{ ...station, "bad name": 1 }], [{ ...station, __proto__x: 1 }], [{ ...station, constructor: "x".repeat(300) }],
    [Object.fromEntries(Array.from({ length: 17 }, (_, i) => [i === 0 ? "id" : `f${i}`, i === 0 ? "lab" : i]))],
    Array.from({ length: 30 }, () => ({ id: "lab", a: "x".repeat(200), b: "x".repeat(200), c: "x".repeat(200) })),
  ]) {
    assert.equal(parseStations(bad), null, JSON.stringify(bad).slice(0, 120));
  }
});

Deno.test("parseStations refuses what is not plain text (controls, NUL, lone surrogates)", () => {
  for (const text of ["a\u0000b", "line\u0007bell", "tab\there", "\u009b[31m", "\ud800", "\udfffx"]) {
    assert.equal(parseStations([{ ...station, name: text }]), null, JSON.stringify(text));
  }
  assert.equal(parseStations([{ ...station, "\u0000": 1 }]), null);
});
