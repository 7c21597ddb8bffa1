// `npm run bench -- frontend-loop`: what one open page of the unchanged frontend costs. N simulated pages run its
// polling loop (a closed loop with no think time: test/pacing/support/simulated-page.ts), each page with its own
// address except 10% of them behind one shared address (a hall's NAT); staff call a patient every second, round
// the clinics. The same run measures pacing off (the baseline) and on, each on a fresh stack with the deployed
// default ceilings, and prints requests per open page per second, staff queue/call p50/p99, call-to-screen
// (from the call to the called page's next answer showing IN_SERVICE) p50/p99, the database's transactions per
// second, and every non-2xx answer.
// Settings: BENCH_PAGES (200), BENCH_DURATION_S (60, paced), BENCH_BASELINE_S (20, unpaced: it saturates the
// machine), BENCH_TARGET (gateway, the default: through the local gateway, as the frontend's requests come;
// functions: each function's own port, without the gateway's hop).
import postgres from "postgres";
import { startStack } from "../test/support/stack.ts";
import { BEHIND_REWRITE, clientAddress, seedAdmin, StaffApi } from "../test/staff/_staff.ts";
import { SimulatedPage } from "../test/pacing/support/simulated-page.ts";
import { percentile } from "../test/support/percentile.ts";

const PAGES = Number(process.env.BENCH_PAGES ?? 200);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const BASELINE_S = Number(process.env.BENCH_BASELINE_S ?? 20);
const TARGET = process.env.BENCH_TARGET === "functions" ? "functions" : "gateway";
const CLINICS = [
  "lab", "xr", "bio", "eye", "int", "sur", "ent", "psy", "dnt", "der", "aud", "ecg", "bones", "women_internal",
  "women_eyes", "women_derma",
];
const SHARED_ADDRESS = "203.0.113.250";

interface Figures {
  pacing: boolean;
  /** Staff calls with no page open yet, on the same stack: what the machine gives a call by itself. */
  idleCallP50: number;
  idleCallP99: number;
  seconds: number;
  perPage: number;
  requestsPerSecond: number;
  callP50: number;
  callP99: number;
  screenP50: number;
  screenP99: number;
  screenMissed: number;
  calls: number;
  transactionsPerSecond: number;
  non2xx: Map<number, number>;
}

async function measure(pacing: boolean, seconds: number): Promise<Figures> {
  const stack = await startStack({
    env: {
      LOVE_PACING: pacing ? "on" : "off",
      LOVE_RATE_LIMIT_PER_MINUTE: "",
      LOVE_RATE_LIMIT_SESSION_PER_MINUTE: "",
      LOVE_ADMIN_BCRYPT_COST: "4",
      // Pages arrive as through the frontend host's rewrite: each page's X-Forwarded-For is its own address.
      ...BEHIND_REWRITE,
    },
  });
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  const pages: SimulatedPage[] = [];
  try {
    const staff = new StaffApi(stack.baseUrl);
    await seedAdmin(sql, "bench", "frontend loop bench password", "admin");
    const token = await staff.token("bench", "frontend loop bench password");
    const queueUrl = TARGET === "functions"
      ? `http://127.0.0.1:${stack.stack.workers.get("queue")!.port}/queue`
      : `${stack.baseUrl}/api/v1/queue`;

    const call = async (clinic: string) => {
      const t0 = performance.now();
      const response = await fetch(`${queueUrl}/call`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "X-Forwarded-For": "192.0.2.1" },
        body: JSON.stringify({ clinic }),
      });
      const body = await response.json() as { success?: boolean; user?: string };
      return { ms: performance.now() - t0, status: response.status, body };
    };
    // The baseline for staff calls: the same stack with no page open (clinics empty: "no patients waiting").
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) {
      idle.push((await call(CLINICS[i % CLINICS.length]!)).ms);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const calledAt = new Map<string, number>();
    const screen: number[] = [];
    let measuring = false;
    const non2xx = new Map<number, number>();
    const byUser = new Map<string, SimulatedPage>();
    const shared = Math.round(PAGES / 10);
    for (let i = 0; i < PAGES; i++) {
      const address = i < shared ? SHARED_ADDRESS : clientAddress(i);
      const page = new SimulatedPage({
        queueUrl,
        clinic: CLINICS[i % CLINICS.length]!,
        user: `loop-${i}`,
        address,
        onAnswer: (page, answer) => {
          if (!measuring) return;
          if (answer.status < 200 || answer.status >= 300) non2xx.set(answer.status, (non2xx.get(answer.status) ?? 0) + 1);
          const since = calledAt.get(page.options.user);
          if (since !== undefined && answer.body?.status === "IN_SERVICE") {
            screen.push(answer.at - since);
            calledAt.delete(page.options.user);
          }
        },
      });
      pages.push(page);
      byUser.set(page.options.user, page);
    }
    // Pages open fifty at a time, then settle.
    for (let i = 0; i < pages.length; i += 50) await Promise.all(pages.slice(i, i + 50).map((page) => page.open()));
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const requestsBefore = pages.reduce((sum, page) => sum + page.requests, 0);
    const xactBefore = (await sql`select xact_commit + xact_rollback as xact from pg_stat_database where datname = current_database()`)[0]!.xact;
    measuring = true;
    const started = performance.now();
    const callMs: number[] = [];
    for (let second = 0; performance.now() - started < seconds * 1000; second++) {
      const clinic = CLINICS[second % CLINICS.length]!;
      const sent = Date.now();
      try {
        const { ms, status, body } = await call(clinic);
        callMs.push(ms);
        if (status < 200 || status >= 300) non2xx.set(status, (non2xx.get(status) ?? 0) + 1);
        if (body.success && body.user && byUser.has(body.user)) calledAt.set(body.user, sent);
      } catch {
        non2xx.set(0, (non2xx.get(0) ?? 0) + 1);
      }
      const next = started + (second + 1) * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    // Calls of the last seconds may still be on their way to the screen.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    measuring = false;
    const elapsed = (performance.now() - started) / 1000;
    const requests = pages.reduce((sum, page) => sum + page.requests, 0) - requestsBefore;
    const xactAfter = (await sql`select xact_commit + xact_rollback as xact from pg_stat_database where datname = current_database()`)[0]!.xact;
    return {
      pacing,
      idleCallP50: percentile(idle, 50),
      idleCallP99: percentile(idle, 99),
      seconds: elapsed,
      perPage: requests / PAGES / elapsed,
      requestsPerSecond: requests / elapsed,
      callP50: percentile(callMs, 50),
      callP99: percentile(callMs, 99),
      screenP50: percentile(screen, 50),
      screenP99: percentile(screen, 99),
      screenMissed: calledAt.size,
      calls: callMs.length,
      transactionsPerSecond: (Number(xactAfter) - Number(xactBefore)) / elapsed,
      non2xx,
    };
  } finally {
    for (const page of pages) page.close();
    await sql.end();
    await stack.stop();
  }
}

function print(f: Figures): void {
  const ms = (value: number) => (Number.isNaN(value) ? "   n/a" : `${value.toFixed(0).padStart(6)} ms`);
  const errors = [...f.non2xx].map(([status, count]) => `${count}× ${status === 0 ? "no answer" : status}`).join(", ");
  console.log(`  pacing ${f.pacing ? "on " : "off"} (${f.seconds.toFixed(0)} s):` +
    `  ${f.perPage.toFixed(3).padStart(7)} req/s per open page (${f.requestsPerSecond.toFixed(0)} req/s in all)` +
    `   staff call p50 ${ms(f.callP50)} p99 ${ms(f.callP99)} (${f.calls} calls; no page open: ${ms(f.idleCallP50)} / ${ms(f.idleCallP99)})` +
    `   call-to-screen p50 ${ms(f.screenP50)} p99 ${ms(f.screenP99)}${f.screenMissed ? ` (${f.screenMissed} not shown)` : ""}` +
    `   db ${f.transactionsPerSecond.toFixed(0)} tx/s   non-2xx ${errors || "0"}`);
}

export async function run(): Promise<void> {
  console.log(`${PAGES} pages (${Math.round(PAGES / 10)} behind one address), a staff call every second over ${CLINICS.length} clinics, ` +
    `requests to ${TARGET === "functions" ? "each function's own port" : "the local gateway"}`);
  const baseline = await measure(false, BASELINE_S);
  print(baseline);
  const paced = await measure(true, DURATION_S);
  print(paced);
  const non2xx = [...paced.non2xx.values()].reduce((a, b) => a + b, 0);
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(`  requests per page: paced / unpaced = ${(paced.perPage / baseline.perPage).toFixed(4)} ` +
    `(${(baseline.perPage / paced.perPage).toFixed(0)}× fewer); database transactions ${(baseline.transactionsPerSecond / paced.transactionsPerSecond).toFixed(0)}× fewer`);
  console.log(`  targets (paced, N = ${PAGES}): ≤ 0.1 req/s per page ${verdict(paced.perPage <= 0.1)}; ` +
    `call-to-screen p50 < 500 ms ${verdict(paced.screenP50 < 500)}, p99 < 1.5 s ${verdict(paced.screenP99 < 1_500 && paced.screenMissed === 0)}; ` +
    `staff call p99 < 100 ms ${verdict(paced.callP99 < 100)}; zero non-2xx ${verdict(non2xx === 0)}`);
}
