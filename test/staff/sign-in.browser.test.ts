// Staff sign-in in real Chromium (issue 12), through a host like the frontend's: replica pages of our own served
// on one origin, `/api/v1/*` rewritten to the backend, built without and with the anon key (the page then sends
// `Authorization: Bearer <anon key>` itself). Each path is signed in by, then used to call a patient and read the
// PINs, then signed out; after that, and for an anonymous browser, the PINs are 401.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { type RewriteHost, startRewriteHost } from "../support/rewrite-host.ts";
import { createSignInLink } from "../../functions/_shared/admin-accounts.ts";
import { SIGNED_OUT_GRACE_MS } from "../../functions/_shared/admin-cookies.ts";
import { seedAdmin, StaffApi } from "./_staff.ts";
import { launchChromium } from "../support/browser.ts";
import { newPage, PasswordDialog, staff } from "./_browser.ts";
import { adminPage, foreignPage, patientPage } from "./_replica-pages.ts";

const PASSWORD = "correct horse battery staple";
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
// Shaped like a project's anon key (an HS256 JWT with role anon), built here rather than committed.
const ANON_KEY = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ iss: "supabase", role: "anon" })}.${Buffer.from("not-a-real-signature").toString("base64url")}`;

let stack: TestStack;
let sql: postgres.Sql;
let api: StaffApi;
let browser: Browser;
const hosts: Record<"plain" | "keyed", RewriteHost> = {} as never;
let foreign: RewriteHost;

beforeAll(async () => {
  // The frontend's origin is not in ALLOWED_ORIGINS: same-origin POSTs pass on the browser's Sec-Fetch-Site.
  stack = await startStack({ env: { LOVE_ADMIN_BCRYPT_COST: "4", ALLOWED_ORIGINS: "https://mmc-mms.com" } });
  sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  api = new StaffApi(stack.baseUrl);
  await seedAdmin(sql, "nurse", PASSWORD, "admin");
  hosts.plain = await startRewriteHost({ backendUrl: stack.baseUrl, pages: { "/admin": adminPage(null), "/": patientPage(null) } });
  hosts.keyed = await startRewriteHost({ backendUrl: stack.baseUrl, pages: { "/admin": adminPage(ANON_KEY), "/": patientPage(ANON_KEY) } });
  foreign = await startRewriteHost({ backendUrl: stack.baseUrl, pages: { "/": foreignPage(hosts.plain.origin) } });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  for (const host of [hosts.plain, hosts.keyed, foreign]) await host?.close();
  await sql?.end();
  await stack?.stop();
});

const BUILDS = [
  { build: "built without the anon key", key: "plain" as const },
  { build: "built with the anon key (the page sends its own Bearer)", key: "keyed" as const },
];

let seq = 0;
async function waitingPatient(clinic: string): Promise<string> {
  const user = `browser-${Date.now()}-${++seq}`;
  const entered = await api.post("/queue/enter", { clinic, user, isAutoEntry: false });
  expect(entered.body?.success, entered.text).toBe(true);
  return user;
}
const entryStatus = async (user: string) => (await sql`select status from love.queue_entries where patient_key = ${user}`)[0]?.status;
const sessionCount = async () => (await sql`select count(*)::int as n from love.admin_sessions s join love.admins a on a.id = s.admin_id
                                           where a.username = 'nurse'`)[0]!.n as number;

/** Signed in: the admin screens' calls all answer 200, a patient is called, the PINs are read. */
async function worksSignedIn(page: Page, clinic: string) {
  const loaded = await page.evaluate(() => (window as any).firstLoad);
  for (const result of loaded) expect(result.status, `${result.path}: ${JSON.stringify(result.body).slice(0, 200)}`).toBe(200);
  await page.waitForFunction(() => document.getElementById("pins")!.textContent !== "-");
  expect(Number(await page.textContent("#waiting"))).toBeGreaterThanOrEqual(0);
  const user = await waitingPatient(clinic);
  const called = await staff.callNext(page, clinic);
  expect(called.status, JSON.stringify(called.body)).toBe(200);
  expect(called.body).toMatchObject({ success: true });
  expect(await entryStatus(user)).toBe("CALLED");
  const pins = await staff.pins(page);
  expect(pins.status).toBe(200);
  expect(Object.keys(pins.body.pins).length).toBeGreaterThan(5);
}

async function pinsRefused(page: Page) {
  const pins = await staff.pins(page);
  expect(pins.status).toBe(401);
  expect(JSON.stringify(pins.body)).not.toMatch(/"pins"|"pin"/);
}

describe("the admin screens' own calls answered by the password dialog", () => {
  it("built without the anon key: the dialog signs in once, the screens work, sign-out ends it", async () => {
    const { context, page } = await newPage(browser, { httpCredentials: { username: "nurse", password: PASSWORD } });
    try {
      const before = await sessionCount();
      await page.goto(`${hosts.plain.origin}/admin`);
      await worksSignedIn(page, "lab");
      // The calls fired at once met one password check and one session (the same answer within seconds is shared).
      expect(await sessionCount() - before).toBe(1);
      const cookies = await context.cookies(hosts.plain.origin);
      expect(cookies.find((c) => c.name === "admin_token")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
      const out = await staff.signOut(page);
      expect(out.status, JSON.stringify(out.body)).toBe(200);
      expect((await context.cookies(hosts.plain.origin)).find((c) => c.name === "admin_token")).toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it("after sign-out the password the browser remembers is refused: the dialog asks again, and dismissed, the PINs are 401", async () => {
    const { context, page } = await newPage(browser);
    const dialog = await PasswordDialog.attach(page);
    try {
      dialog.typed = { username: "nurse", password: PASSWORD };
      await page.goto(`${hosts.plain.origin}/admin`);
      await worksSignedIn(page, "xray");
      expect(dialog.prompts.length).toBeGreaterThanOrEqual(1);
      expect((await staff.signOut(page)).status).toBe(200);
      dialog.typed = null;
      const sessions = await sessionCount();
      const promptsBefore = dialog.prompts.length;
      await pinsRefused(page);
      // The browser sent its remembered password with that call; refused, it asked the person again.
      expect(dialog.prompts.length).toBeGreaterThan(promptsBefore);
      await pinsRefused(page);
      expect(await sessionCount()).toBe(sessions);
      // Typed again once the sign-out burst is over (the marker lasts seconds), it signs in again.
      await new Promise((resolve) => setTimeout(resolve, SIGNED_OUT_GRACE_MS + 200));
      dialog.typed = { username: "nurse", password: PASSWORD };
      expect((await staff.pins(page)).status).toBe(200);
    } finally {
      await dialog.detach();
      await context.close();
    }
  });

  it("built with the anon key: no dialog appears (the typed password could never replace the page's header); the calls are 401", async () => {
    const { context, page } = await newPage(browser);
    const dialog = await PasswordDialog.attach(page);
    try {
      dialog.typed = { username: "nurse", password: PASSWORD };
      await page.goto(`${hosts.keyed.origin}/admin`);
      const loaded = await page.evaluate(() => (window as any).firstLoad);
      for (const result of loaded.filter((r: { path: string }) => !r.path.includes("/health/"))) {
        expect(result.status, result.path).toBe(401);
        expect(result.body).toMatchObject({ code: "ADMIN_AUTH_REQUIRED", sign_in: "/api/v1/admin/session" });
      }
      expect(dialog.prompts).toEqual([]);
    } finally {
      await dialog.detach();
      await context.close();
    }
  });
});

describe.each(BUILDS)("$build", ({ key }) => {
  it("signs in at the sign-in door (the dialog on a navigation), then calls a patient and reads the PINs, then signs out", async () => {
    const host = hosts[key];
    const { context, page } = await newPage(browser);
    const dialog = await PasswordDialog.attach(page);
    try {
      dialog.typed = { username: "nurse", password: PASSWORD };
      const landed = await page.goto(`${host.origin}/api/v1/admin/session`);
      expect(new URL(page.url()).pathname).toBe("/admin");
      expect(landed?.status()).toBe(200);
      expect(dialog.prompts.map((url) => new URL(url).pathname)).toEqual(["/api/v1/admin/session"]);
      await worksSignedIn(page, "eyes");
      // The admin screens' calls rode on the cookie: no further dialog.
      expect(dialog.prompts).toHaveLength(1);

      dialog.typed = null;
      await page.goto(`${host.origin}/api/v1/admin/logout`);
      expect(new URL(page.url()).pathname).toBe("/");
      await page.goto(`${host.origin}/admin`);
      await pinsRefused(page);
    } finally {
      await dialog.detach();
      await context.close();
    }
  });

  it("signs in with a one-time link, then calls a patient and reads the PINs; the link is spent, and sign-out ends it", async () => {
    const host = hosts[key];
    const { context, page } = await newPage(browser);
    const dialog = await PasswordDialog.attach(page);
    try {
      const link = await createSignInLink(sql, "nurse", 5);
      await page.goto(`${host.origin}${link.path}`);
      expect(new URL(page.url()).pathname).toBe("/admin");
      await worksSignedIn(page, "ent");
      expect(dialog.prompts).toEqual([]);

      expect((await staff.signOut(page)).status).toBe(200);
      await pinsRefused(page);
      // The same link again (say, from the browser's history): spent.
      const again = await page.goto(`${host.origin}${link.path}`);
      expect(again?.status()).toBe(401);
      await page.goto(`${host.origin}/admin`);
      await pinsRefused(page);
    } finally {
      await dialog.detach();
      await context.close();
    }
  });

  it("an anonymous browser: PINs and every staff call 401, no dialog on the examinee page, no staff event on the admin stream", async () => {
    const host = hosts[key];
    const { context, page } = await newPage(browser);
    const dialog = await PasswordDialog.attach(page);
    try {
      await page.goto(`${host.origin}/`);
      const patient = await page.evaluate(() => (window as any).firstLoad);
      expect(patient.find((r: { path: string }) => r.path === "/api/v1/pin/status").status).toBe(401);
      expect(patient.find((r: { path: string }) => r.path.startsWith("/api/v1/queue/status")).status).toBe(200);
      expect(dialog.prompts).toEqual([]);

      await page.goto(`${host.origin}/admin`);
      const loaded = await page.evaluate(() => (window as any).firstLoad);
      for (const result of loaded.filter((r: { path: string }) => !r.path.includes("/health/"))) expect(result.status, result.path).toBe(401);
      await pinsRefused(page);
      const user = await waitingPatient("dental");
      expect((await staff.callNext(page, "dental")).status).toBe(401);
      expect(await entryStatus(user)).toBe("WAITING");
      await page.waitForFunction(() => (window as any).streamEvents.length > 0, undefined, { timeout: 10_000 });
      await page.waitForTimeout(500);
      const events: string[] = await page.evaluate(() => (window as any).streamEvents);
      for (const event of events) expect(event).not.toMatch(/"pin"|"pins"|"queues"|"stats"|"waiting"/);
    } finally {
      await dialog.detach();
      await context.close();
    }
  });
});

describe("CSRF in the browser", () => {
  it("a page of another origin of the same site (the Strict cookie rides along) cannot call a patient", async () => {
    const { context, page } = await newPage(browser);
    try {
      const link = await createSignInLink(sql, "nurse", 5);
      await page.goto(`${hosts.plain.origin}${link.path}`);
      expect((await staff.pins(page)).status).toBe(200);
      // Nobody else waits in lab, so that any call that got through would call this patient.
      const token = await api.token("nurse", PASSWORD);
      while ((await api.post("/queue/call", { clinic: "lab" }, { token })).body.success) { /* drain */ }
      const target = await waitingPatient("lab");
      const before = hosts.plain.log.length;
      const attacker = await context.newPage();
      await attacker.goto(`${foreign.origin}/`);
      const outcome: string[] = await attacker.evaluate(() => (window as any).attack());
      await attacker.waitForTimeout(1000);
      const calls = hosts.plain.log.slice(before).filter((f) => f.path === "/api/v1/queue/call" && f.method === "POST");
      expect(outcome.join("; ")).toMatch(/json: blocked|json: 40[13]/);
      expect(calls.length, JSON.stringify(outcome)).toBeGreaterThanOrEqual(2);
      for (const call of calls) {
        // The cookie did ride along (same site), and the Origin check refused the call.
        expect(String(call.headers.cookie ?? "")).toContain("admin_token=");
        expect(call.status).toBe(403);
      }
      expect(await entryStatus(target)).toBe("WAITING");
    } finally {
      await context.close();
    }
  });
});
