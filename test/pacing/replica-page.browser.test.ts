// The unchanged frontend's patient page as it really behaves, reproduced by a replica page of our own (its polling
// effect re-polls on every answer), served same-origin behind a rewrite host like the frontend's, and driven in
// headless Chromium against the whole local stack with pacing and the rate limits as deployed (defaults).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import type { Browser, Page } from "playwright-core";
import { startStack, type TestStack } from "../support/stack.ts";
import { seedAdmin, StaffApi } from "../staff/_staff.ts";
import { launchChromium } from "../support/browser.ts";
import { metricSum } from "../support/metrics.ts";
import { type LoggedRequest, type RewriteHost, startRewriteHost } from "../support/rewrite-host.ts";

const REPLICA_DIR = fileURLToPath(new URL("./replica", import.meta.url));

let stack: TestStack;
let sql: postgres.Sql;
let host: RewriteHost;
let browser: Browser;
let staff: StaffApi;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      LOVE_PACING: "on",
      // The deployed defaults: "" is unset for the functions.
      LOVE_RATE_LIMIT_PER_MINUTE: "",
      LOVE_RATE_LIMIT_SESSION_PER_MINUTE: "",
      LOVE_ADMIN_BCRYPT_COST: "4",
    },
  });
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  host = await startRewriteHost({ backendUrl: stack.baseUrl, staticDir: REPLICA_DIR, clientAddress: "198.51.100.20" });
  browser = await launchChromium();
  staff = new StaffApi(stack.baseUrl);
  await seedAdmin(sql, "desk", "replica page staff password", "admin");
  token = await staff.token("desk", "replica page staff password");
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await sql?.end();
  await stack?.stop();
});

let seq = 0;
const newUser = () => `replica-${Date.now().toString(36)}-${++seq}`;

async function openPage(user: string, route: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${host.origin}/?user=${user}&route=${route.join(",")}`);
  return page;
}

const stationOf = (page: Page, clinic: string) => page.locator(`li[data-clinic="${clinic}"]`);

async function waitEntered(page: Page, clinic: string): Promise<void> {
  await stationOf(page, clinic).and(page.locator('[data-entered="true"]')).waitFor({ timeout: 15_000 });
}

const positionRequests = (user: string, from = 0, to = Infinity): LoggedRequest[] =>
  host.log.filter((entry) =>
    entry.path.startsWith("/api/v1/queue/position") && entry.path.includes(`user=${user}`) &&
    entry.startedAt >= from && entry.startedAt < to
  );

async function call(clinic: string): Promise<number> {
  const response = await staff.post("/queue/call", { clinic }, { token });
  expect(response.body?.success, response.text).toBe(true);
  return Date.now();
}

async function currentPin(clinic: string): Promise<string> {
  const [row] = await sql`select love.current_pin(${clinic}, now()) as pin`;
  return row!.pin as string;
}

describe("the polling loop, paced", () => {
  it("makes at most a few requests in 20 s, yet shows a staff call within 1.5 s", async () => {
    const user = newUser();
    const page = await openPage(user, ["eye"]);
    await waitEntered(page, "eye");
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const inWindow = positionRequests(user, from, Date.now());
    expect(inWindow.length, `position requests in 20 s: ${inWindow.length}`).toBeLessThanOrEqual(4);

    const calledAt = await call("eye");
    await stationOf(page, "eye").and(page.locator('[data-queue-status="IN_SERVICE"]')).waitFor({ timeout: 5_000 });
    const shownAfter = Date.now() - calledAt;
    expect(shownAfter, `call shown after ${shownAfter} ms`).toBeLessThan(1_500);
    expect(await page.locator("#notice").textContent()).toBe("your turn");
    await page.close();
  }, 60_000);

  it("answers a reload at once and frees the abandoned hold", async () => {
    const user = newUser();
    const page = await openPage(user, ["ent"]);
    await waitEntered(page, "ent");
    // The loop's next read is held now.
    await expect.poll(() => metricSum(stack.baseUrl, "paced_requests_held", { function: "queue" }), { timeout: 5_000 }).toBeGreaterThanOrEqual(1);

    const reloadedAt = Date.now();
    await page.reload();
    await waitEntered(page, "ent");
    const [first] = positionRequests(user, reloadedAt);
    expect(first?.answeredAt, JSON.stringify(first)).toBeDefined();
    expect(first!.answeredAt! - first!.startedAt).toBeLessThan(1_000);
    // The old page's held read was abandoned by the browser: the function let it go (only the new page holds).
    const abandoned = positionRequests(user, 0, reloadedAt).filter((entry) => entry.aborted);
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    await expect.poll(() => metricSum(stack.baseUrl, "paced_requests_held", { function: "queue" }), { timeout: 5_000 }).toBeLessThanOrEqual(1);
    await page.close();
  }, 60_000);
});

describe("the offline queue", () => {
  it("replays a stored POST idempotently: an enter and a done whose answers were lost count once", async () => {
    const user = newUser();
    const replays = async (page: Page) =>
      (await page.evaluate(() => (window as any).__replica.replays))
        .map((replay: any) => [replay.endpoint, replay.answer.success === true && !replay.answer.offline]);
    const storedCalls = (page: Page) =>
      page.evaluate(() => JSON.parse(localStorage.getItem("mms.offlineQueue") ?? "[]").map((op: any) => op.endpoint));
    host.loseNextAnswer((method, path) => method === "POST" && path.startsWith("/api/v1/queue/enter"));
    const page = await openPage(user, ["int"]);
    await waitEntered(page, "int");
    await call("int");
    await stationOf(page, "int").and(page.locator('[data-queue-status="IN_SERVICE"]')).waitFor({ timeout: 5_000 });

    host.loseNextAnswer((method, path) => method === "POST" && path.startsWith("/api/v1/queue/done"));
    const exit = await page.evaluate((pin) => (window as any).__replica.exit(pin), await currentPin("int"));
    // The page believes it (a fake success) and stored the call; the backend did complete the clinic.
    expect(exit.answer).toMatchObject({ success: true, offline: true });
    expect(await storedCalls(page)).toContain("/queue/done");
    // The lost enter was stored too: replayed already by this load's replay (1 s after load), or still waiting.
    const replayedFirst = await replays(page);

    await page.reload();
    await page.waitForFunction(() => (window as any).__replica.replays.length > 0, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => localStorage.getItem("mms.offlineQueue") === "[]", undefined, { timeout: 10_000 });
    // Every stored call was replayed and really answered as a success, not faked again (the page's queue may
    // replay one more than once: its replay and its own stores race, as the frontend's do); the database counts
    // each once, below.
    const replayed = [...replayedFirst, ...await replays(page)];
    expect(new Set(replayed.map(([endpoint]: [string]) => endpoint))).toEqual(new Set(["/queue/enter", "/queue/done"]));
    expect(replayed.every(([, success]: [string, boolean]) => success)).toBe(true);
    expect(host.log.filter((entry) => entry.lost).map((entry) => entry.path)).toEqual(["/api/v1/queue/enter", "/api/v1/queue/done"]);

    const entries = await sql`select status from love.queue_entries where clinic_id = 'int' and patient_key = ${user}`;
    expect(entries.map((row) => row.status)).toEqual(["DONE"]);
    const [events] = await sql`select count(*)::int as n from love.events where patient_id = ${user} and event_type = 'ENTERED'`;
    expect(events!.n).toBe(1);
    await page.close();
  }, 60_000);
});

describe("the deployed defaults", () => {
  it("carry a whole examinee day: every clinic entered, called, exited with its PIN, never limited", async () => {
    const user = newUser();
    const route = ["lab", "xr", "bio"];
    const from = Date.now();
    const page = await openPage(user, route);
    for (const [index, clinic] of route.entries()) {
      if (index > 0) expect(await page.evaluate(() => (window as any).__replica.enterNext())).toBe(clinic);
      await waitEntered(page, clinic);
      // The patient waits, as in a hall (at the first clinic past a whole hold period): the loop keeps polling.
      await new Promise((resolve) => setTimeout(resolve, index === 0 ? 20_000 : 3_000));
      await call(clinic);
      await stationOf(page, clinic).and(page.locator('[data-queue-status="IN_SERVICE"]')).waitFor({ timeout: 5_000 });
      const exit = await page.evaluate((pin) => (window as any).__replica.exit(pin), await currentPin(clinic));
      expect(exit.shown, JSON.stringify(exit)).toBe("exited");
      expect(exit.answer.offline).toBeUndefined();
    }
    await page.locator("#phase", { hasText: "completed" }).waitFor({ timeout: 5_000 });
    const day = host.log.filter((entry) => entry.startedAt >= from);
    const limited = day.filter((entry) => entry.status === 429 || (entry.body ?? "").includes('"RATE_LIMITED"'));
    expect(limited).toEqual([]);
    expect(day.filter((entry) => (entry.status ?? 200) >= 500)).toEqual([]);
    await page.close();
  }, 120_000);
});
