// Issue 15 as an attacker with only the public frontend would try it, against the whole local stack set up as a
// deployment is (entry budgets at their defaults): C1 (PIN brute force with invented ids from many addresses),
// H2 (taking over a patient's session with their military number), the entry budgets of H3 (a script filling a
// clinic), L1 (deeply nested JSON). The unchanged frontend's own behaviour keeps working throughout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { metricSum } from "../support/metrics.ts";
import { BEHIND_REWRITE, hasStackTrace, newClientAddress, seedAdmin, StaffApi } from "../staff/_staff.ts";
import { qatar } from "../flow/_http.ts";
import {
  after,
  enterAndPoll,
  entryStatus,
  inventedId,
  otherPin,
  pool,
  PRODUCTION_BUDGETS,
  staffPin,
  type Visitor,
} from "./_security.ts";

let stack: TestStack;
let api: StaffApi;
let sql: postgres.Sql;
let token: string;
const PASSWORD = "attack suite admin password";

beforeAll(async () => {
  // The suite plays many browsers behind the frontend host's rewrite: their X-Forwarded-For is the identity.
  stack = await startStack({ env: { LOVE_ADMIN_BCRYPT_COST: "4", ...BEHIND_REWRITE, ...PRODUCTION_BUDGETS } });
  api = new StaffApi(stack.baseUrl);
  sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  await seedAdmin(sql, "guard", PASSWORD, "super_admin");
  token = await api.token("guard", PASSWORD);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const visitor = (client = newClientAddress()): Visitor => ({ user: inventedId(), client });

describe("C1: a clinic's PIN cannot be brute-forced within its day", () => {
  it("holds against 120 invented ids from 40 addresses guessing for two hours, while real patients still finish", async () => {
    const clinic = "xr";
    const start = qatar("2032-03-01T09:00");
    const pin = await staffPin(api, token, clinic, start);
    // Two real patients were there first: they entered and their pages poll.
    const [first, second] = [visitor(), visitor()];
    for (const real of [first, second]) expect((await enterAndPoll(api, clinic, real, start)).body.success).toBe(true);

    // The attacker's ids look like the frontend's own, three per address; each polls once, as a page would,
    // so no budget for entries nobody looks at stops them.
    const fakes = Array.from({ length: 120 }, (_, i) => visitor(`198.18.${Math.floor(i / 3)}.${(i % 3) + 1}`));
    const entered = await pool(fakes, 12, (fake) => enterAndPoll(api, clinic, fake, after(start, 1)));
    expect(entered.every((response) => response.body.success)).toBe(true);

    // Distinct guesses; the real PIN is left out so the measured rate does not depend on luck.
    let guess = 0;
    const nextGuess = () => {
      let candidate = otherPin(pin, 7_919 * ++guess);
      if (candidate === pin) candidate = otherPin(pin, 7_919 * ++guess);
      return candidate;
    };
    let compared = 0;
    let requests = 0;
    const outcomes = new Map<string, number>();
    const minutes = 120;
    for (let minute = 2; minute <= minutes; minute += 2) {
      // Staff call the next patient every 10 minutes: the two real ones first, then whoever the queue offers.
      if (minute % 10 === 0) {
        const call = await api.post("/queue/call", { clinic }, { token, now: after(start, minute) });
        expect(call.body.success, call.text).toBe(true);
      }
      const answers = await pool(fakes, 12, (fake, i) =>
        api.post("/queue/done", { clinic, user: fake.user, pin: nextGuess() }, { client: fake.client, now: after(start, minute, i % 60) }));
      for (const answer of answers) {
        requests++;
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body.success, answer.text).toBe(false);
        const code = answer.body.code as string;
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        // Only a WRONG_PIN answer means the guess was compared with the PIN.
        if (code === "WRONG_PIN") compared++;
      }
    }
    expect(requests).toBe(120 * 60);
    const space = 9 * 10 ** (pin.length - 1);
    const perHour = compared / (minutes / 60);
    const projectedHours = perHour === 0 ? Infinity : space / 2 / perHour;
    const summary = `PIN length ${pin.length}, ${compared} of ${requests} guesses compared (${perHour.toFixed(1)}/h), ` +
      `projected ${projectedHours.toFixed(0)} h to find it; answers ${JSON.stringify([...outcomes])}`;
    if (process.env.LOVE_ATTACK_VERBOSE) console.log(`C1: ${summary}`);
    expect(projectedHours, summary).toBeGreaterThan(24);
    expect(pin, summary).toMatch(/^\d{6}$/);
    for (const fake of fakes) expect(await entryStatus(sql, "xr", fake.user)).not.toContain("DONE");
    // The alert's input saw the attack: every refused or wrong try, by clinic (functions report once a second).
    const counted = async () => {
      let total = 0;
      for (const result of ["wrong", "locked", "not_your_turn"]) {
        total += await metricSum(stack.baseUrl, "pin_attempts_total", { function: "queue", clinic, result });
      }
      return total;
    };
    await expect.poll(counted, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(requests);
    expect(await counted()).toBe(requests);
    expect(await metricSum(stack.baseUrl, "pin_attempts_total", { clinic, result: "wrong" })).toBe(compared);

    // The real patients: both were called. The first types the PIN staff read out and finishes at once; the
    // second mistypes, is told when to retry (never locked out), and finishes then.
    const finished = await api.post("/queue/done", { clinic, user: first.user, pin }, { client: first.client, now: after(start, minutes, 30) });
    expect(finished.body, finished.text).toMatchObject({ success: true, status: "DONE" });
    const typo = await api.post("/queue/done", { clinic, user: second.user, pin: otherPin(pin) }, { client: second.client, now: after(start, minutes, 40) });
    expect(typo.body).toMatchObject({ success: false, code: "WRONG_PIN" });
    const wait = Number(typo.body.retry_after_seconds ?? 0);
    expect(wait).toBeLessThanOrEqual(15 * 60);
    const retried = await api.post("/queue/done", { clinic, user: second.user, pin }, { client: second.client, now: after(start, minutes, 40 + wait) });
    expect(retried.body, retried.text).toMatchObject({ success: true, status: "DONE" });
  }, 240_000);

  it("finishes a clinic only when it is the patient's turn: called by staff, or at the head of the queue", async () => {
    const clinic = "ent";
    const now = qatar("2032-03-02T09:00");
    const pin = await staffPin(api, token, clinic, now);
    const [head, behind] = [visitor(), visitor()];
    await enterAndPoll(api, clinic, head, now);
    await enterAndPoll(api, clinic, behind, now);
    // Behind someone, with the right PIN: not yet, and the PIN is not even looked at (no oracle, no count).
    const early = await api.post("/queue/done", { clinic, user: behind.user, pin }, { client: behind.client, now });
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({ success: false, code: "NOT_YOUR_TURN" });
    expect(await entryStatus(sql, clinic, behind.user)).toEqual(["WAITING"]);
    // clinic/exit keeps the same rule, and a route alone (no ticket) never finishes a clinic.
    expect((await api.post("/clinic/exit", { patientId: behind.user, clinicId: clinic, pin }, { client: behind.client, now })).body)
      .toMatchObject({ success: false, code: "NOT_YOUR_TURN" });
    const routeOnly = visitor();
    await api.post("/route/create", { patientId: routeOnly.user, examType: "cooks", gender: "male" }, { client: routeOnly.client, now });
    expect((await api.post("/clinic/exit", { patientId: routeOnly.user, clinicId: "sur", pin }, { client: routeOnly.client, now })).body)
      .toMatchObject({ success: false, code: "NOT_IN_QUEUE" });
    // The head finishes; then the next one is the head and finishes too.
    expect((await api.post("/queue/done", { clinic, user: head.user, pin }, { client: head.client, now })).body.success).toBe(true);
    expect((await api.post("/queue/done", { clinic, user: behind.user, pin }, { client: behind.client, now })).body.success).toBe(true);
  });
});

describe("H2: a military number does not hand out anyone's session", () => {
  it("gives every login a new unguessable id, never changes the stored gender, and keeps ids apart", async () => {
    const number = "4455667788";
    const now = qatar("2032-03-03T08:00");
    const victim = await api.post("/patient/login", { patientId: number, gender: "male" }, { now });
    expect(victim.body.success).toBe(true);
    const victimId = victim.body.data.id as string;
    await api.post("/route/create", { patientId: victimId, examType: "cooks", gender: "male" }, { now });
    await api.post("/queue/enter", { clinic: "lab", user: victimId, isAutoEntry: true }, { now });

    // The attacker knows the number and logs in with it (the other gender, too).
    const attacker = await api.post("/patient/login", { patientId: number, gender: "female" }, { now });
    expect(attacker.body.success).toBe(true);
    const attackerId = attacker.body.data.id as string;
    expect(attackerId).not.toBe(victimId);
    expect(attackerId).toMatch(/^\d{13}-[0-9a-f]{32}$/);
    const again = await api.post("/patient/login", { personalId: number, gender: "male" }, { now });
    expect(new Set([victimId, attackerId, again.body.data.id]).size).toBe(3);

    // Nothing stored about the patient changed, and the answer revealed nothing about them.
    const [patient] = await sql`select gender from love.patients where patient_number = ${number}`;
    expect(patient!.gender).toBe("male");
    expect(attacker.body.data).toMatchObject({ patientId: number, gender: "female" });
    expect(attacker.text).not.toContain(victimId);
    const [audit] = await sql`select count(*)::int as n from love.events where event_type = 'PATIENT_GENDER_MISMATCH'`;
    expect(audit!.n).toBeGreaterThanOrEqual(1);

    // The attacker's id reaches nothing of the victim's: position, route, stream data, PIN lockout.
    expect((await api.get(`/queue/position?clinic=lab&user=${attackerId}`, { now })).status).toBe(404);
    expect((await api.get(`/route/get?patientId=${attackerId}`, { now })).status).toBe(404);
    for (let i = 0; i < 6; i++) {
      const guess = await api.post("/queue/done", { clinic: "lab", user: attackerId, pin: "000000" }, { now });
      expect(guess.body).toMatchObject({ success: false, code: "NOT_IN_QUEUE" });
    }
    const pin = await staffPin(api, token, "lab", now);
    expect((await api.post("/queue/done", { clinic: "lab", user: victimId, pin }, { now })).body).toMatchObject({ success: true });
    expect((await api.get(`/route/get?patientId=${victimId}`, { now })).body.route.completedStations).toEqual(["lab"]);
  });

  it("keeps the frontend's invented ids working for the whole visit", async () => {
    const me = visitor();
    const now = qatar("2032-03-04T08:00");
    expect((await api.get(`/route/get?patientId=${me.user}`, { client: me.client, now })).status).toBe(404);
    expect((await api.post("/route/create", { patientId: me.user, examType: "courses", gender: "female" }, { client: me.client, now })).body.success).toBe(true);
    expect((await enterAndPoll(api, "lab", me, now)).body.success).toBe(true);
    const pin = await staffPin(api, token, "lab", now);
    expect((await api.post("/queue/done", { clinic: "lab", user: me.user, pin }, { client: me.client, now })).body.success).toBe(true);
    expect((await api.get(`/route/get?patientId=${me.user}`, { client: me.client, now })).body.route.currentStep).toBe(1);
  });

  it("validates route stations for type and size and stores their text as text", async () => {
    const me = visitor();
    const create = (stations: unknown) =>
      api.post("/route/create", { patientId: me.user, examType: "courses", gender: "male", stations }, { client: me.client });
    const station = { id: "lab", name: "المختبر", nameAr: "المختبر", floor: "الميزانين", floorCode: "M", code: "LAB", weight: 0 };
    for (const bad of [
      [{ ...station, name: { html: "<b>x</b>" } }],
      [{ ...station, extra: [1, 2, 3] }],
      [{ ...station, name: "x".repeat(1_000) }],
      [{ ...station, weight: "heavy" }],
      [{ ...station, floorCode: 7 }],
      [{ ...station, id: 5 }],
      [{ ...station, name: "line\u0007bell" }],
      Array.from({ length: 31 }, () => station),
      [station, "lab"],
    ]) {
      const answer = await create(bad);
      expect(answer.status).toBe(200);
      expect(answer.body, JSON.stringify(bad).slice(0, 100)).toMatchObject({ success: false, code: "INVALID_STATIONS" });
    }
    // Text is text: markup comes back exactly as sent, inside JSON, never as HTML.
    const markup = { ...station, name: "<img src=x onerror=alert(1)>", nameAr: "<script>alert('x')</script>" };
    const saved = await create([markup]);
    expect(saved.body.route.stations).toEqual([markup]);
    const got = await api.get(`/route/get?patientId=${me.user}`, { client: me.client });
    expect(got.headers.get("content-type")).toMatch(/^application\/json/);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.body.route.stations[0].name).toBe("<img src=x onerror=alert(1)>");
  });
});

describe("H3: budgets for new entries stop a script from filling a clinic", () => {
  it("lets one address hold only a few tickets nobody looks at, per clinic", async () => {
    const client = "198.19.0.1";
    const now = qatar("2032-03-05T09:00");
    const eye = await pool(Array.from({ length: 12 }, () => inventedId()), 4, (user) =>
      api.post("/queue/enter", { clinic: "eye", user, isAutoEntry: true }, { client, now }));
    expect(eye.filter((r) => r.body.success)).toHaveLength(5);
    for (const refused of eye.filter((r) => !r.body.success)) {
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ success: false, code: "ENTRY_BUDGET_EXCEEDED" });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Another clinic has its own budget.
    const ent = await pool(Array.from({ length: 6 }, () => inventedId()), 3, (user) =>
      api.post("/queue/enter", { clinic: "sur", user }, { client, now }));
    expect(ent.filter((r) => r.body.success)).toHaveLength(5);
    // Replays of a ticket already held are never refused.
    const held = eye.find((r) => r.body.success)!.body.user as string;
    expect((await api.post("/queue/enter", { clinic: "eye", user: held }, { client, now })).body).toMatchObject({ success: true, already_in_queue: true });
  });

  it("admits any number of real patients behind one address (a shared Wi-Fi), because their pages poll", async () => {
    const client = "198.19.0.2";
    const now = qatar("2032-03-05T10:00");
    const patients = Array.from({ length: 30 }, () => visitor(client));
    for (const patient of patients) expect((await enterAndPoll(api, "int", patient, now)).body.success).toBe(true);
  });

  it("caps a clinic's tickets nobody looks at across addresses, until staff clear them", async () => {
    const clinic = "der";
    const now = qatar("2032-03-05T11:00");
    const fakes = Array.from({ length: 60 }, (_, i) => visitor(`198.19.1.${i + 1}`));
    const answers = await pool(fakes, 6, (fake) => api.post("/queue/enter", { clinic, user: fake.user }, { client: fake.client, now }));
    expect(answers.filter((r) => r.body.success)).toHaveLength(50);
    expect(answers.filter((r) => r.body.code === "ENTRY_BUDGET_EXCEEDED")).toHaveLength(10);
    const real = visitor();
    expect((await enterAndPoll(api, clinic, real, now)).body.code).toBe("ENTRY_BUDGET_EXCEEDED");
    const cleared = await api.post("/queue/cancel-unseen", { clinic }, { token, now: after(now, 5) });
    expect(cleared.body).toMatchObject({ success: true, cancelled: 50 });
    expect((await enterAndPoll(api, clinic, real, after(now, 5))).body).toMatchObject({ success: true, ahead: 0 });
  });
});

describe("L1: no input depth or size gives a 5xx", () => {
  const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

  it("answers 10,000-level nested JSON with a 4xx envelope on every JSON endpoint", async () => {
    const me = visitor();
    const bodies = [
      deepArray(10_000),
      deepObject(10_000),
      JSON.stringify({ patientId: me.user, examType: "cooks", gender: "male" }).replace(/}$/, `,"stations":[{"id":"lab","x":${deepArray(10_000)}}]}`),
      `{"clinic":"lab","user":${deepArray(10_000)}}`,
      `{"clinic":"lab","user":"${me.user}","pin":${deepObject(10_000)}}`,
    ];
    const posts = ["/patient/login", "/queue/enter", "/queue/done", "/route/create", "/path/choose", "/clinic/exit",
      "/queue/call", "/queue/cancel", "/queue/cancel-unseen", "/pin/generate", "/admin/set-call-interval", "/admin/login"];
    const failures: string[] = [];
    for (const path of posts) {
      for (const raw of bodies) {
        const answer = await api.call("POST", path, { raw, token, client: me.client, headers: { "Content-Type": "application/json" } });
        const where = `${path} ${raw.slice(0, 60)}`;
        if (answer.status < 400 || answer.status >= 500) failures.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.body?.success !== false || typeof answer.body?.error !== "string") failures.push(`${where}: not an envelope: ${answer.text.slice(0, 200)}`);
        if (hasStackTrace(answer.text)) failures.push(`${where}: stack trace`);
      }
    }
    expect(failures).toEqual([]);
    // Shallow bodies still work.
    expect((await enterAndPoll(api, "bio", me)).body.success).toBe(true);
  });

  it("refuses nesting inside a station (the frontend's stations are flat) at any depth, never with a 5xx", async () => {
    const me = visitor();
    // 5,000 levels in 10 KB is the body the review found answered with a 500.
    const answers = [];
    for (const depth of [2, 50, 5_000]) {
      const raw = `{"patientId":"${me.user}","examType":"cooks","gender":"male","stations":[{"id":"lab","deep":${deepArray(depth)}}]}`;
      const answer = await api.call("POST", "/route/create", { raw, client: me.client, headers: { "Content-Type": "application/json" } });
      answers.push({ depth, status: answer.status, success: answer.body?.success });
    }
    expect(answers.map((a) => a.status).every((status) => status < 500), JSON.stringify(answers)).toBe(true);
    expect(answers.map((a) => a.success), JSON.stringify(answers)).toEqual([false, false, false]);
  });
});
