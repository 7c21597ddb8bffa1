import assert from "node:assert/strict";
import { resolveNow } from "./clock.ts";
import { HttpError } from "./http.ts";

const real = () => new Date("2026-01-01T00:00:00.000Z");

Deno.test("without permission the override is ignored", () => {
  assert.equal(
    resolveNow({ allowOverride: false, header: "2030-01-01T00:00:00Z", frozen: "2031-01-01T00:00:00Z", real }),
    "2026-01-01T00:00:00.000Z",
  );
});

Deno.test("with permission the header wins over LOVE_FROZEN_NOW, which wins over the real clock", () => {
  assert.equal(
    resolveNow({ allowOverride: true, header: "2030-03-10T00:30:00+03:00", frozen: "2031-01-01T00:00:00Z", real }),
    "2030-03-09T21:30:00.000Z",
  );
  assert.equal(resolveNow({ allowOverride: true, header: null, frozen: "2031-01-01T00:00:00Z", real }), "2031-01-01T00:00:00.000Z");
  assert.equal(resolveNow({ allowOverride: true, header: null, frozen: undefined, real }), "2026-01-01T00:00:00.000Z");
});

Deno.test("an invalid override is a 400, never a 500", () => {
  assert.throws(() => resolveNow({ allowOverride: true, header: "yesterday", frozen: undefined, real }),
    (e: unknown) => e instanceof HttpError && e.status === 400);
});
