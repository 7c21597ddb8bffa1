// A committee's hall: 300 phones behind one address (NAT), each running the unchanged frontend's polling loop
// (simulated-page.ts), paced, with staff calling a patient every second, under the deployed default ceilings:
// no 429, no RATE_LIMITED, nothing but 2xx. The pages talk to the queue function's own port (Supabase's gateway
// sets no cap there; the local gateway's socket pool is issue 11 item 5).
import { afterAll, beforeAll, expect, it } from "vitest";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { seedAdmin, StaffApi } from "../staff/_staff.ts";
import { type PageAnswer, SimulatedPage } from "./support/simulated-page.ts";

const PAGES = 300;
const RUN_MS = 30_000;
const HALL = "203.0.113.200";
const CLINICS = ["lab", "xr", "bio", "eye", "int", "sur", "ent", "psy", "dnt", "der", "aud", "ecg"];

let stack: TestStack;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startStack({
    env: { LOVE_PACING: "on", LOVE_RATE_LIMIT_PER_MINUTE: "", LOVE_RATE_LIMIT_SESSION_PER_MINUTE: "", LOVE_ADMIN_BCRYPT_COST: "4" },
  });
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

it("300 paced pages behind one address are never limited, and stay paced", async () => {
  const staff = new StaffApi(stack.baseUrl);
  await seedAdmin(sql, "hall", "hall test staff password", "admin");
  const token = await staff.token("hall", "hall test staff password");
  const queueUrl = `http://127.0.0.1:${stack.stack.workers.get("queue")!.port}/queue`;
  const limited: PageAnswer[] = [];
  const pages = Array.from({ length: PAGES }, (_, i) => new SimulatedPage({
    queueUrl,
    clinic: CLINICS[i % CLINICS.length]!,
    user: `hall-${i}-${Date.now().toString(36)}`,
    address: HALL,
    onAnswer: (_, answer) => {
      if (answer.status === 429 || answer.body?.code === "RATE_LIMITED") limited.push(answer);
    },
  }));
  try {
    // The hall fills over a few seconds, as phones open the page.
    for (let i = 0; i < pages.length; i += 50) await Promise.all(pages.slice(i, i + 50).map((page) => page.open()));
    const requestsAtStart = pages.reduce((sum, page) => sum + page.requests, 0);
    const started = Date.now();
    const calls: number[] = [];
    for (let second = 0; Date.now() - started < RUN_MS; second++) {
      const call = await fetch(`${queueUrl}/call`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "X-Forwarded-For": HALL },
        body: JSON.stringify({ clinic: CLINICS[second % CLINICS.length] }),
      });
      calls.push(call.status);
      await call.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (second + 1) * 1_000 - Date.now())));
    }
    const seconds = (Date.now() - started) / 1000;
    const requests = pages.reduce((sum, page) => sum + page.requests, 0) - requestsAtStart;
    const statuses = new Map<number, number>();
    for (const page of pages) for (const [status, count] of page.statuses) statuses.set(status, (statuses.get(status) ?? 0) + count);

    expect(limited).toEqual([]);
    expect([...statuses.keys()].filter((status) => status < 200 || status >= 300), JSON.stringify([...statuses])).toEqual([]);
    expect(calls.every((status) => status === 200)).toBe(true);
    const perPage = requests / PAGES / seconds;
    // Unpaced, one page alone asks tens of times a second.
    expect(perPage, `${perPage.toFixed(3)} requests per page per second`).toBeLessThan(0.5);
  } finally {
    for (const page of pages) page.close();
  }
}, 120_000);
