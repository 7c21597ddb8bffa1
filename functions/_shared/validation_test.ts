import assert from "node:assert/strict";
import { HttpError } from "./http.ts";
import {
  missingFields,
  NEVER_MATCHING_PIN,
  parseClinic,
  parseExamType,
  parseGender,
  parsePatientNumber,
  parsePin,
  parseStations,
  parseUserKey,
  pick,
  readJsonObject,
} from "./validation.ts";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("http://x/queue/enter", { method: "POST", body, headers });

Deno.test("readJsonObject reads objects and treats an empty body as {}", async () => {
  assert.deepEqual(await readJsonObject(post('{"clinic":"lab"}')), { clinic: "lab" });
  assert.deepEqual(await readJsonObject(post(null)), {});
  assert.deepEqual(await readJsonObject(post("  ")), {});
});

Deno.test("readJsonObject rejects non-JSON and non-objects with 400, big bodies with 413", async () => {
  for (const body of ["{", "not json", "[1,2]", '"text"', "42", "null"]) {
    await assert.rejects(readJsonObject(post(body)), (error: unknown) => error instanceof HttpError && error.status === 400);
  }
  await assert.rejects(readJsonObject(post("x".repeat(100), {}), 50), (e: unknown) => e instanceof HttpError && e.status === 413);
  await assert.rejects(
    readJsonObject(post("{}", { "content-length": "999999" })),
    (e: unknown) => e instanceof HttpError && e.status === 413,
  );
});

Deno.test("parseClinic accepts ids and aliases, rejects anything else", () => {
  assert.equal(parseClinic(" xr "), "xr");
  assert.equal(parseClinic("X-Ray"), "X-Ray");
  assert.equal(parseClinic("women_internal"), "women_internal");
  for (const bad of [undefined, null, 5, {}, [], "", "1lab", "lab'; drop table x;--", "a".repeat(33), "lab lab"]) {
    assert.equal(parseClinic(bad), null, String(bad));
  }
});

Deno.test("parseUserKey accepts session ids, rejects injection and huge strings", () => {
  assert.equal(parseUserKey("1732550000000-a1b2c3d4e"), "1732550000000-a1b2c3d4e");
  assert.equal(parseUserKey(12345), "12345");
  for (const bad of [undefined, null, true, {}, "", "-x", "a b", "x'--", "x".repeat(65), 1.5, -1]) {
    assert.equal(parseUserKey(bad), null, String(bad));
  }
});

Deno.test("parsePatientNumber takes 2–12 digits as string or whole number", () => {
  assert.equal(parsePatientNumber("12"), "12");
  assert.equal(parsePatientNumber(" 123456789012 "), "123456789012");
  assert.equal(parsePatientNumber(98765), "98765");
  for (const bad of ["1", "1234567890123", "12a", "", null, 1.5, -12, {}]) assert.equal(parsePatientNumber(bad), null);
});

Deno.test("parseGender normalises case", () => {
  assert.equal(parseGender("Male"), "male");
  assert.equal(parseGender("female"), "female");
  assert.equal(parseGender("other"), null);
  assert.equal(parseGender(1), null);
});

Deno.test("parsePin: blank means required, odd values never match", () => {
  assert.equal(parsePin(undefined), undefined);
  assert.equal(parsePin(null), undefined);
  assert.equal(parsePin("   "), undefined);
  assert.equal(parsePin(" 1234 "), "1234");
  assert.equal(parsePin(1234), "1234");
  assert.equal(parsePin("12ab"), NEVER_MATCHING_PIN);
  assert.equal(parsePin({ pin: 1 }), NEVER_MATCHING_PIN);
  assert.equal(parsePin("9".repeat(100)), NEVER_MATCHING_PIN);
});

Deno.test("parseExamType and parseStations", () => {
  assert.equal(parseExamType("Recruitment"), "recruitment");
  assert.equal(parseExamType("x y"), null);
  assert.deepEqual(parseStations([{ id: "lab", weight: 1 }]), [{ id: "lab", weight: 1 }]);
  assert.equal(parseStations([]), null);
  assert.equal(parseStations([{ name: "no id" }]), null);
  assert.equal(parseStations(["lab"]), null);
  assert.equal(parseStations(Array.from({ length: 31 }, () => ({ id: "lab" }))), null);
  assert.equal(parseStations([{ id: "lab", big: "x".repeat(20_000) }]), null);
  // What jsonb cannot store never reaches Postgres (it would be a 500 there); a surrogate pair (emoji) is fine.
  assert.equal(parseStations([{ id: "lab", name: "a\u0000b" }]), null);
  assert.equal(parseStations([{ id: "lab", "\u0000": 1 }]), null);
  assert.equal(parseStations([{ id: "lab", nested: [{ x: "\ud800" }] }]), null);
  assert.equal(parseStations([{ id: "lab", name: "\udfffx" }]), null);
  assert.deepEqual(parseStations([{ id: "lab", name: "😀 المختبر" }]), [{ id: "lab", name: "😀 المختبر" }]);
});

Deno.test("pick and missingFields", () => {
  assert.equal(pick({ a: "", b: null, c: "x" }, "a", "b", "c"), "x");
  assert.equal(pick({}, "a"), undefined);
  assert.deepEqual(missingFields({ clinic: "lab", user: undefined }), ["user"]);
});
