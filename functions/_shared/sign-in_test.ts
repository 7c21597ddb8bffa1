import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { basicCredentials, fromAdminScreens, shouldChallenge } from "./basic-auth.ts";
import { csrfRefusal, isForeignBrowserRequest, isSameOriginRequest } from "./csrf.ts";
import { readCookie, refusedAfterSignOutCookie, sessionCookie, SIGNED_OUT_GRACE_MS, signedOutCookie, signedOutState } from "./admin-cookies.ts";
import { isSecretShaped, randomSecret, sha256Hex } from "./admin-secrets.ts";

const request = (headers: Record<string, string>, url = "http://127.0.0.1:9000/admin/status") => new Request(url, { headers });
const basic = (text: string) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`;

Deno.test("Basic answers are read as UTF-8 user:password; anything else is malformed or absent", () => {
  assertEquals(basicCredentials(request({ Authorization: basic("alice:pa:ss wörd") })), { username: "alice", password: "pa:ss wörd" });
  assertEquals(basicCredentials(request({ Authorization: `basic ${btoa("bob:x")}` })), { username: "bob", password: "x" });
  for (const header of ["Basic", "Basic !!", "Basic " + btoa("no-colon"), "Basic " + btoa(":pw"), "Basic " + btoa("\xff\xfe:x"),
    `Basic ${"A".repeat(2000)}`]) {
    assertEquals(basicCredentials(request({ Authorization: header })), "malformed", header.slice(0, 30));
  }
  assertEquals(basicCredentials(request({ Authorization: "Bearer a.b.c" })), null);
  assertEquals(basicCredentials(request({})), null);
});

Deno.test("the password dialog is asked for only where a person can answer it", () => {
  const anon = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln";
  assertEquals(shouldChallenge(request({ Referer: "https://mmc-mms.com/admin" })), true);
  assertEquals(shouldChallenge(request({ Referer: "https://mmc-mms.com/admin/queues" })), true);
  assertEquals(shouldChallenge(request({ Referer: "https://mmc-mms.com/?admin=true" })), true);
  assertEquals(shouldChallenge(request({ "Sec-Fetch-Mode": "navigate" })), true);
  assertEquals(shouldChallenge(request({ Authorization: basic("a:b") })), true);
  assertEquals(shouldChallenge(request({}), { always: true }), true);
  // The examinee page, scripts, and the anon-key build (its header can never be replaced by the browser).
  assertEquals(shouldChallenge(request({ Referer: "https://mmc-mms.com/" })), false);
  assertEquals(shouldChallenge(request({ Referer: "https://mmc-mms.com/administration" })), false);
  assertEquals(shouldChallenge(request({})), false);
  assertEquals(shouldChallenge(request({ Authorization: anon, Referer: "https://mmc-mms.com/admin" })), false);
  assertEquals(shouldChallenge(request({ Authorization: anon }), { always: true }), false);
  assertEquals(fromAdminScreens(request({ Referer: "::::" })), false);
});

Deno.test("CSRF: our page by Sec-Fetch-Site, Origin or Referer (own or allowed), and a JSON body", () => {
  const allowed = ["https://mmc-mms.com", "https://*.vercel.app"];
  const json = { "Content-Type": "application/json" };
  assertEquals(isSameOriginRequest(request({ "Sec-Fetch-Site": "same-origin" }), allowed), true);
  assertEquals(isSameOriginRequest(request({ Origin: "https://mmc-mms.com" }), allowed), true);
  assertEquals(isSameOriginRequest(request({ Origin: "https://pr-3.vercel.app" }), allowed), true);
  assertEquals(isSameOriginRequest(request({ Origin: "http://127.0.0.1:9000" }), allowed), true);
  assertEquals(isSameOriginRequest(request({ Referer: "https://mmc-mms.com/admin" }), allowed), true);
  for (const headers of <Record<string, string>[]> [{}, { Origin: "https://evil.example" }, { Origin: "null" }, { Origin: "https://mmc-mms.com.evil.example" },
    { Referer: "https://evil.example/x" }, { "Sec-Fetch-Site": "same-site", Origin: "https://a.mmc-mms.com" }, { "Sec-Fetch-Site": "cross-site" }]) {
    assertEquals(isSameOriginRequest(request(headers), allowed), false, JSON.stringify(headers));
  }
  // A login from a foreign page is refused; a script (no browser headers) is not a foreign page.
  assertEquals(isForeignBrowserRequest(request({ Origin: "https://evil.example" }), allowed), true);
  assertEquals(isForeignBrowserRequest(request({}), allowed), false);
  assertEquals(csrfRefusal(request({ ...json, "Sec-Fetch-Site": "same-origin" })), null);
  assertEquals(csrfRefusal(request({ "Content-Type": "text/plain", "Sec-Fetch-Site": "same-origin" }))?.status, 415);
  assertEquals(csrfRefusal(request({ ...json, Origin: "https://evil.example" }))?.status, 403);
});

Deno.test("cookies are HttpOnly, Secure, SameSite=Strict, Path=/; secrets are 256-bit and stored as SHA-256", async () => {
  for (const cookie of [sessionCookie("t.o.k"), signedOutCookie(), refusedAfterSignOutCookie(1)]) {
    for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) assertEquals(cookie.includes(attribute), true, cookie);
  }
  assertEquals(readCookie(request({ Cookie: "a=1; admin_device=xyz; admin_token=t" }), "admin_device"), "xyz");
  assertEquals(readCookie(request({ Cookie: "admin_devicex=1" }), "admin_device"), null);
  const secret = randomSecret();
  assertEquals(isSecretShaped(secret), true);
  assertEquals(secret === randomSecret(), false);
  assertEquals(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("the sign-out marker refuses Basic answers for a few seconds after its first refusal, then steps aside", () => {
  const now = 1_800_000_000_000;
  const marker = (value: string) => signedOutState(request({ Cookie: `admin_signed_out=${value}` }), now);
  assertEquals(signedOutState(request({}), now), null);
  assertEquals(marker("1"), "refuse-first");
  assertEquals(marker(`r${now - 10}`), "refuse");
  assertEquals(marker(`r${now - SIGNED_OUT_GRACE_MS}`), "stale");
  // Not a time we wrote (ahead of our clock, or not a number): a fresh sign-out.
  for (const value of [`r${now + 60_000}`, "rabc", "r", `r${"9".repeat(40)}`]) assertEquals(marker(value), "refuse-first", value);
});
