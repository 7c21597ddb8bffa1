import assert from "node:assert/strict";
import { HttpError } from "./http.ts";
import {
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  missingFields,
  NEVER_MATCHING_PIN,
  parseClinic,
  parseExamType,
  parseGender,
  parsePatientNumber,
  parsePin,
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

Deno.test("readJsonObject refuses JSON nested deeper than MAX_JSON_DEPTH with 400, at any depth and size", async () => {
  const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  const isBadRequest = (error: unknown) => error instanceof HttpError && error.status === 400 && /nested deeper/.test(error.message);
  for (const body of [deep(MAX_JSON_DEPTH + 1), deep(10_000), '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000),
    `{"stations":[{"id":"lab","x":${deep(5_000)}}]}`, "[".repeat(60_000)]) {
    await assert.rejects(readJsonObject(post(body)), isBadRequest);
  }
  // At the limit it parses (and a non-object is then refused as before).
  await assert.rejects(readJsonObject(post(deep(MAX_JSON_DEPTH))), (e: unknown) => e instanceof HttpError && /must be an object/.test(e.message));
  assert.deepEqual(await readJsonObject(post('{"stations":[{"id":"lab"}]}')), { stations: [{ id: "lab" }] });
});

Deno.test("jsonDepthExceeds counts brackets outside strings only, escapes included", () => {
  assert.equal(jsonDepthExceeds('{"a":"[[[[[[[[[["}', 2), false);
  assert.equal(jsonDepthExceeds('{"a":"\\\"[[[[","b":[1]}', 2), false);
  assert.equal(jsonDepthExceeds('{"a":[{"b":[]}]}', 3), true);
  assert.equal(jsonDepthExceeds('{"a":[{"b":[]}]}', 4), false);
  assert.equal(jsonDepthExceeds("]]]]{", 1), false);
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

Deno.test("parseExamType", () => {
  assert.equal(parseExamType("Recruitment"), "recruitment");
  assert.equal(parseExamType("x y"), null);
});

Deno.test("pick and missingFields", () => {
  assert.equal(pick({ a: "", b: null, c: "x" }, "a", "b", "c"), "x");
  assert.equal(pick({}, "a"), undefined);
  assert.deepEqual(missingFields({ clinic: "lab", user: undefined }), ["user"]);
});
