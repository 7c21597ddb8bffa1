import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { corsHeaders, isAllowedOrigin, parseAllowedOrigins } from "./cors.ts";
import { parseWholeNumber, requestKey } from "./body.ts";
import { passwordProblem } from "./admin-accounts.ts";
import { bearerToken, cookieToken } from "./admin-auth.ts";

Deno.test("CORS reflects allowed origins with credentials and never pairs * with credentials", () => {
  const allowed = parseAllowedOrigins("https://mmc-mms.com/, https://*.vercel.app, *");
  assertEquals(allowed, ["https://mmc-mms.com", "https://*.vercel.app"]);
  const reflected = corsHeaders("https://mmc-mms.com", allowed);
  assertEquals(reflected["Access-Control-Allow-Origin"], "https://mmc-mms.com");
  assertEquals(reflected["Access-Control-Allow-Credentials"], "true");
  for (const origin of ["https://evil.example", "null", "https://vercel.app", "https://x.vercel.app.evil.example", null]) {
    const headers = corsHeaders(origin, allowed);
    assertEquals(headers["Access-Control-Allow-Origin"], undefined);
    assertEquals(headers["Access-Control-Allow-Credentials"], undefined);
  }
  assertEquals(isAllowedOrigin("https://pr-12.vercel.app", allowed), true);
  const open = corsHeaders("https://anything.example", []);
  assertEquals(open["Access-Control-Allow-Origin"], "*");
  assertEquals(open["Access-Control-Allow-Credentials"], undefined);
});

Deno.test("request keys, whole numbers and passwords are validated, never thrown on", () => {
  const withHeader = (name: string, value: string) => new Request("http://x/", { headers: { [name]: value } });
  assertEquals(requestKey(new Request("http://x/")), null);
  assertEquals(requestKey(withHeader("X-Request-Id", "abc-1")), "abc-1");
  assertEquals(requestKey(withHeader("Idempotency-Key", "bad key")), "invalid");
  assertEquals(parseWholeNumber("7", 1, 240), 7);
  assertEquals(parseWholeNumber(2.5, 1, 240), null);
  assertEquals(parseWholeNumber("1e2", 1, 240), null);
  assertEquals(parseWholeNumber(0, 1, 240), null);
  assertEquals(passwordProblem("alice", "short") !== null, true);
  assertEquals(passwordProblem("alice", "alice-is-the-best-1") !== null, true);
  assertEquals(passwordProblem("alice", "aaaaaaaaaaaaaaaa") !== null, true);
  assertEquals(passwordProblem("alice", "correct horse battery"), null);
});

Deno.test("tokens are read from the bearer header and the admin_token cookie only", () => {
  const request = new Request("http://x/", { headers: { Authorization: "Bearer a.b.c", Cookie: "x=1; admin_token=t.o.k; y=2" } });
  assertEquals(bearerToken(request), "a.b.c");
  assertEquals(cookieToken(request), "t.o.k");
  assertEquals(bearerToken(new Request("http://x/", { headers: { Authorization: "Basic abc" } })), null);
  assertEquals(cookieToken(new Request("http://x/", { headers: { Cookie: "admin_tokenx=1" } })), null);
});

