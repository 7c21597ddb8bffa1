import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { actionPath, createRouter } from "./router.ts";
import { HttpError, ok } from "./http.ts";

Deno.test("actionPath strips everything up to the function's slug", () => {
  assertEquals(actionPath("/health/status", "health"), "/status");
  assertEquals(actionPath("/functions/v1/queue/enter", "queue"), "/enter");
  assertEquals(actionPath("/health", "health"), "/");
});

Deno.test("the router dispatches on method and action", async () => {
  const handle = createRouter("queue", {
    "GET /status": () => ok({ which: "status" }),
    "POST /enter": () => ok({ which: "enter" }),
  });
  const status = await handle(new Request("http://x/queue/status"));
  assertEquals((await status.json()).which, "status");
  const enter = await handle(new Request("http://x/queue/enter", { method: "POST", body: "{}" }));
  assertEquals((await enter.json()).which, "enter");
  const wrong = await handle(new Request("http://x/queue/enter"));
  assertEquals(wrong.status, 405);
  assertEquals(wrong.headers.get("Allow"), "POST");
  const missing = await handle(new Request("http://x/queue/nope"));
  assertEquals(missing.status, 404);
  assertEquals((await missing.json()).success, false);
});

Deno.test("HttpError becomes its envelope; other errors a 500 without internals", async () => {
  const handle = createRouter("t", {
    "GET /known": () => {
      throw new HttpError(400, "Missing required fields: clinic", { missing_fields: ["clinic"] });
    },
    "GET /unknown": () => {
      throw new Error("secret internal detail");
    },
  });
  const known = await handle(new Request("http://x/t/known"));
  assertEquals(known.status, 400);
  assertEquals(await known.json(), {
    success: false,
    error: "Missing required fields: clinic",
    missing_fields: ["clinic"],
  });
  const originalError = console.error;
  console.error = () => {};
  try {
    const unknown = await handle(new Request("http://x/t/unknown"));
    assertEquals(unknown.status, 500);
    const text = await unknown.text();
    assertEquals(text.includes("secret internal detail"), false);
  } finally {
    console.error = originalError;
  }
});
