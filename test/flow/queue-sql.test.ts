// The examinee flow's SQL functions against a real Postgres 17: numbering under concurrency, idempotency,
// day boundaries in Asia/Qatar, PIN checks and lockout, routes, RLS. The HTTP suites build on these.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { plpgsqlRun, qatar, startDatabase, type TestDatabase } from "./_db.ts";
import { PACING_FUNCTIONS, SECURITY_FUNCTIONS, SIGN_IN_FUNCTIONS, STAFF_FUNCTIONS } from "../support/migration-functions.ts";

type Json = Record<string, any>;

let db: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  // Count calls of every function, for the Q5 check at the end.
  db = await startDatabase({ trackFunctions: true });
  sql = db.sql;
});
afterAll(async () => {
  await db?.stop();
});

let userSeq = 0;
const newUser = (label = "u") => `${label}${Date.now()}-${++userSeq}`;

async function call(fn: string, ...args: unknown[]): Promise<Json> {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(", ");
  const [row] = await sql.unsafe(`select love.${fn}(${placeholders}) as r`, args as never[]);
  return row!.r as Json;
}
const enter = (clinic: string, user: string, now: string) => call("queue_enter", clinic, user, now);
const done = (clinic: string, user: string, pin: string | null, now: string) => call("queue_done", clinic, user, pin, now);
const position = (clinic: string, user: string, now: string) => call("queue_position", clinic, user, now);
async function pinOf(clinic: string, now: string): Promise<string> {
  const [row] = await sql`select love.current_pin(${clinic}, ${now}::timestamptz) as pin`;
  return row!.pin as string;
}
async function entryRow(clinic: string, user: string) {
  return sql`select clinic_id, queue_day::text as queue_day, number, status, done_at from love.queue_entries
             where clinic_id = ${clinic} and patient_key = ${user} order by id`;
}

describe("schema and security", () => {
  const tables = ["clinics", "clinic_aliases", "exam_types", "exam_routes", "patients", "patient_sessions",
    "clinic_days", "clinic_day_blocks", "queue_entries", "daily_pins", "pin_attempts", "routes", "events", "notifications"];

  it("enables RLS on every table and leaves the API roles no privilege on them", async () => {
    const rows = await sql`select relname, relrowsecurity from pg_class
                           where relnamespace = 'love'::regnamespace and relname = any(${tables})`;
    expect(rows.map((r) => r.relname).sort()).toEqual([...tables].sort());
    for (const row of rows) expect(row.relrowsecurity, row.relname).toBe(true);
    const grants = await sql`select table_name, grantee, privilege_type from information_schema.role_table_grants
                             where table_schema = 'love' and table_name = any(${tables})
                               and grantee in ('anon', 'authenticated', 'PUBLIC')`;
    expect(grants).toEqual([]);
  });

  it("creates nothing in public, where production's legacy tables live and PostgREST looks", async () => {
    const inPublic = await sql`select c.relname, c.relkind from pg_class c
                               where c.relnamespace = 'public'::regnamespace`;
    expect(inPublic).toEqual([]);
    const functionsInPublic = await sql`select proname from pg_proc where pronamespace = 'public'::regnamespace`;
    expect(functionsInPublic).toEqual([]);
    const anonUsage = await sql`select has_schema_privilege('anon', 'love', 'USAGE') as anon,
                                       has_schema_privilege('authenticated', 'love', 'USAGE') as authenticated`;
    expect(anonUsage[0]).toEqual({ anon: false, authenticated: false });
  });

  it("denies the anon role every read, write and function of the flow", async () => {
    const attempts = [
      "select * from love.daily_pins",
      "select * from love.patient_sessions",
      "insert into love.queue_entries (clinic_id, queue_day, number, patient_key, entered_at) values ('lab', current_date, 999, 'x', now())",
      "update love.queue_entries set status = 'DONE'",
      "delete from love.queue_entries",
      "select love.queue_enter('lab', 'anon-user', now())",
      "select love.current_pin('lab', now())",
    ];
    for (const statement of attempts) {
      await expect(sql.begin(async (tx) => {
        await tx`set local role anon`;
        await tx.unsafe(statement);
      }), statement).rejects.toThrow(/permission denied/);
    }
  });

  it("enforces one upper-case status vocabulary (C6) and never moves an entry to another clinic (Q7)", async () => {
    const user = newUser();
    await enter("lab", user, qatar("2030-01-01T10:00"));
    await expect(sql`update love.queue_entries set status = 'waiting' where patient_key = ${user}`)
      .rejects.toThrow(/check constraint/);
    await expect(sql`update love.queue_entries set clinic_id = 'xr' where patient_key = ${user}`)
      .rejects.toThrow(/never move/);
    // Setting the same values is not a move.
    await sql`update love.queue_entries set clinic_id = clinic_id, number = number where patient_key = ${user}`;
  });
});

describe("clinic ids (C4)", () => {
  it.each([
    ["xr", "xr"], ["XR", "xr"], ["xray", "xr"], ["X-Ray", "xr"], ["bio", "bio"], ["vitals", "bio"],
    ["eye", "eye"], ["eyes", "eye"], ["ophthalmology", "eye"], ["int", "int"], ["internal", "int"],
    ["sur", "sur"], ["surgery", "sur"], ["psy", "psy"], ["psychiatry", "psy"], ["psychology", "psy"],
    ["dnt", "dnt"], ["dental", "dnt"], ["der", "der"], ["derma", "der"], ["dermatology", "der"],
    ["aud", "aud"], ["audio", "aud"], ["audiology", "aud"], ["lab", "lab"], ["ent", "ent"], ["ecg", "ecg"],
    ["orthopedics", "bones"], ["internal_f", "women_internal"], [" LAB ", "lab"],
  ])("%s resolves to %s", async (input, id) => {
    const [row] = await sql`select love.resolve_clinic(${input}) as id`;
    expect(row!.id).toBe(id);
  });

  it("rejects unknown ids and injection strings", async () => {
    for (const input of ["nope", "", "lab'; drop table love.clinics; --", "x".repeat(5000)]) {
      const [row] = await sql`select love.resolve_clinic(${input}) as id`;
      expect(row!.id).toBeNull();
    }
    expect((await enter("nope", newUser(), qatar("2030-01-01T10:00"))).code).toBe("UNKNOWN_CLINIC");
  });

  it("aliases reach the same queue", async () => {
    const now = qatar("2030-01-02T09:00");
    const user = newUser();
    const first = await enter("xray", user, now);
    const second = await enter("XR", user, now);
    expect(second.number).toBe(first.number);
    expect(second.already_in_queue).toBe(true);
    expect((await position("x-ray", user, now)).clinic).toBe("xr");
  });
});

describe("ticket numbers", () => {
  it("gives 50 concurrent first-of-day enters 50 distinct consecutive numbers (Q1, Q3, Q4)", async () => {
    const now = qatar("2030-02-01T07:00");
    const users = Array.from({ length: 50 }, () => newUser("c"));
    const results = await Promise.all(users.map((user) => enter("eye", user, now)));
    const numbers = results.map((r) => r.number as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const [counts] = await sql`select last_number, waiting from love.clinic_days
                               where clinic_id = 'eye' and queue_day = '2030-02-01'`;
    expect(counts).toEqual({ last_number: 50, waiting: 50 });
  });

  it("gives 10 concurrent replays of one enter a single ticket (C8)", async () => {
    const now = qatar("2030-02-02T07:00");
    // The counter row exists already (someone entered earlier): only the function's own locking serialises.
    await enter("ent", newUser(), now);
    const user = newUser();
    const results = await Promise.all(Array.from({ length: 10 }, () => enter("ent", user, now)));
    expect(new Set(results.map((r) => r.number)).size).toBe(1);
    expect(results.filter((r) => r.already_in_queue === false)).toHaveLength(1);
    expect(await entryRow("ent", user)).toHaveLength(1);
  });

  it("never reuses a number after done or cancel (Q2) and numbers each Qatar day from 1", async () => {
    const day = "2030-02-03";
    const now = qatar(`${day}T08:00`);
    const [a, b] = [newUser(), newUser()];
    expect((await enter("psy", a, now)).number).toBe(1);
    expect((await enter("psy", b, now)).number).toBe(2);
    expect((await done("psy", a, await pinOf("psy", now), now)).success).toBe(true);
    await sql`update love.queue_entries set status = 'CANCELLED', cancelled_at = now() where patient_key = ${b}`;
    expect((await enter("psy", newUser(), now)).number).toBe(3);
    // A cancelled patient may take a new ticket; a done patient gets the done ticket back.
    expect((await enter("psy", b, now)).number).toBe(4);
    const again = await enter("psy", a, now);
    expect(again).toMatchObject({ number: 1, status: "DONE", already_in_queue: true });
    expect((await enter("psy", newUser(), qatar("2030-02-04T08:00"))).number).toBe(1);
  });
});

describe("business days in Asia/Qatar (Q6)", () => {
  it.each([
    ["2030-03-10T00:30", "2030-03-10", "2030-03-09"],
    ["2030-03-10T02:59", "2030-03-10", "2030-03-09"],
    ["2030-03-10T03:00", "2030-03-10", "2030-03-09"],
    ["2030-03-10T04:59", "2030-03-10", "2030-03-09"],
    ["2030-03-10T05:00", "2030-03-10", "2030-03-10"],
    ["2030-03-10T23:59", "2030-03-10", "2030-03-10"],
  ])("at %s Qatar the queue day is %s and the PIN day %s", async (local, queueDay, pinDay) => {
    const [row] = await sql`select love.qatar_day(${qatar(local)}::timestamptz)::text as q,
                                   love.pin_day(${qatar(local)}::timestamptz)::text as p`;
    expect(row).toEqual({ q: queueDay, p: pinDay });
  });

  it("keeps one PIN set from 05:00 to 04:59 and issues a new one at 05:00", async () => {
    const evening = await pinOf("lab", qatar("2030-03-11T22:00"));
    expect(await pinOf("lab", qatar("2030-03-12T00:30"))).toBe(evening);
    expect(await pinOf("lab", qatar("2030-03-12T02:59"))).toBe(evening);
    expect(await pinOf("lab", qatar("2030-03-12T03:00"))).toBe(evening);
    expect(await pinOf("lab", qatar("2030-03-12T04:59"))).toBe(evening);
    const [sets] = await sql`select count(distinct pin_day)::int as days from love.daily_pins
                             where pin_day in ('2030-03-11', '2030-03-12')`;
    expect(sets!.days).toBe(1);
    await pinOf("lab", qatar("2030-03-12T05:00"));
    const pins = await sql`select pin_day::text, clinic_id, pin from love.daily_pins
                           where pin_day in ('2030-03-11', '2030-03-12')`;
    const byDay = (d: string) => pins.filter((p) => p.pin_day === d);
    const active = await sql`select count(*)::int as n from love.clinics where active`;
    for (const d of ["2030-03-11", "2030-03-12"]) {
      expect(byDay(d)).toHaveLength(active[0]!.n);
      expect(new Set(byDay(d).map((p) => p.pin)).size).toBe(active[0]!.n);
      for (const p of byDay(d)) expect(p.pin).toMatch(/^\d{6}$/);
    }
  });

  it("completes with the PIN staff see between 00:00 and 05:00, across the UTC date change", async () => {
    const user = newUser();
    const at0259 = qatar("2030-03-15T02:59");
    const at0300 = qatar("2030-03-15T03:00");
    const entered = await enter("sur", user, at0259);
    expect(entered.queue_day).toBe("2030-03-15");
    // Same Qatar day at 03:00 (when the UTC date changes): the same ticket, and the evening's PIN set.
    expect((await enter("sur", user, at0300)).number).toBe(entered.number);
    const staffPin = await pinOf("sur", qatar("2030-03-14T20:00"));
    const wrongDayPin = await pinOf("sur", qatar("2030-03-15T06:00"));
    if (wrongDayPin !== staffPin) {
      expect((await done("sur", user, wrongDayPin, at0300)).code).toBe("WRONG_PIN");
    }
    const finished = await done("sur", user, staffPin, at0300);
    expect(finished).toMatchObject({ success: true, status: "DONE", number: entered.number });
  });

  it("keeps a ticket taken before midnight live after it, and starts the new day's numbers at 1", async () => {
    const user = newUser();
    const late = await enter("dnt", user, qatar("2030-03-20T23:50"));
    const after = qatar("2030-03-21T00:10");
    expect(await position("dnt", user, after)).toMatchObject({ success: true, number: late.number });
    expect((await enter("dnt", user, after)).number).toBe(late.number);
    expect((await enter("dnt", newUser(), after)).number).toBe(1);
    expect((await done("dnt", user, await pinOf("dnt", after), after))).toMatchObject({ success: true, number: late.number });
  });
});

describe("position codes (row 3)", () => {
  it("reports N ahead, 0 when next or in service, -1 when done", async () => {
    const now = qatar("2030-04-01T09:00");
    const [a, b, c] = [newUser(), newUser(), newUser()];
    for (const user of [a, b, c]) await enter("aud", user, now);
    expect(await position("aud", c, now)).toMatchObject({ status: "WAITING", display_number: 2, ahead: 2, total_waiting: 3, estimated_wait_minutes: 10 });
    expect(await position("aud", a, now)).toMatchObject({ status: "NEXT", display_number: 0, ahead: 0 });
    await sql`update love.queue_entries set status = 'IN_SERVICE', called_at = ${now} where patient_key = ${a}`;
    expect(await position("aud", a, now)).toMatchObject({ status: "IN_SERVICE", display_number: 0, ahead: 0, total_waiting: 2 });
    expect(await position("aud", c, now)).toMatchObject({ display_number: 1, ahead: 1 });
    await done("aud", a, await pinOf("aud", now), now);
    expect(await position("aud", a, now)).toMatchObject({ status: "DONE", display_number: -1, ahead: 0 });
    expect((await position("aud", newUser(), now)).code).toBe("NOT_IN_QUEUE");
    const status = await call("queue_status", "aud", now);
    expect(status).toMatchObject({ total_waiting: 2, completed: 1, in_service: 0, stats: { totalWaiting: 2, totalDone: 1, totalToday: 3 } });
    expect(status.waiting.map((w: Json) => w.ticket)).toEqual([2, 3]);
    expect(JSON.stringify(status)).not.toContain(b);
  });
});

describe("done with a PIN (S1, S3, C8, D2)", () => {
  it("fails without a PIN, with a wrong PIN and with another clinic's PIN, changing nothing", async () => {
    const now = qatar("2030-05-01T10:00");
    const user = newUser();
    await enter("der", user, now);
    const before = await entryRow("der", user);
    const otherClinicPin = await pinOf("lab", now);
    const own = await pinOf("der", now);
    const wrong = String(((Number(own) - 1000 + 1) % 9000) + 1000);
    expect((await done("der", user, null, now)).code).toBe("PIN_REQUIRED");
    expect((await done("der", user, "", now)).code).toBe("PIN_REQUIRED");
    expect((await done("der", user, wrong === otherClinicPin ? "0000" : wrong, now)).code).toBe("WRONG_PIN");
    const other = await done("der", user, otherClinicPin, now);
    expect(other.code).toBe("WRONG_PIN");
    expect(JSON.stringify(other)).not.toMatch(/lab|correct/i);
    expect(await entryRow("der", user)).toEqual(before);
    expect((await done("der", newUser(), own, now)).code).toBe("NOT_IN_QUEUE");
  });

  it("completes with the right PIN and replays as a successful no-op", async () => {
    const now = qatar("2030-05-02T10:00");
    const user = newUser();
    await enter("ecg", user, now);
    const pin = await pinOf("ecg", now);
    const first = await done("ecg", user, pin, qatar("2030-05-02T10:12"));
    expect(first).toMatchObject({ success: true, status: "DONE", duration_minutes: 12, already_done: false, remaining_in_queue: 0 });
    const replay = await done("ecg", user, "9999", qatar("2030-05-02T10:30"));
    expect(replay).toMatchObject({ success: true, status: "DONE", already_done: true, exit_time: first.exit_time });
    const events = await sql`select count(*)::int as n from love.events where event_type = 'COMPLETED' and patient_id = ${user}`;
    expect(events[0]!.n).toBe(1);
  });

  it("locks a (user, clinic) pair after 5 wrong PINs, even for the right PIN, for 15 minutes", async () => {
    const user = newUser();
    const t0 = qatar("2030-05-03T10:00");
    await enter("int", user, t0);
    await enter("bio", user, t0);
    const pin = await pinOf("int", t0);
    const wrong = pin === "111111" ? "222222" : "111111";
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await done("int", user, wrong, t0));
    // Five are compared (the fifth says when to retry), the sixth is not.
    expect(results.map((r) => r.code)).toEqual(["WRONG_PIN", "WRONG_PIN", "WRONG_PIN", "WRONG_PIN", "WRONG_PIN", "PIN_LOCKED"]);
    expect(results.map((r) => r.attempts_left)).toEqual([4, 3, 2, 1, 0, undefined]);
    expect(results[4]!.retry_after_seconds).toBe(900);
    expect((await done("int", user, pin, qatar("2030-05-03T10:14"))).code).toBe("PIN_LOCKED");
    // Another clinic of the same user is not locked.
    expect((await done("bio", user, await pinOf("bio", t0), t0)).success).toBe(true);
    expect((await done("int", user, pin, qatar("2030-05-03T10:16"))).success).toBe(true);
  });

  it("counts concurrent wrong attempts one by one", async () => {
    const user = newUser();
    const t0 = qatar("2030-05-04T10:00");
    await enter("lab", user, t0);
    const pin = await pinOf("lab", t0);
    const wrong = pin === "111111" ? "222222" : "111111";
    const results = await Promise.all(Array.from({ length: 8 }, () => done("lab", user, wrong, t0)));
    expect(results.every((r) => r.success === false)).toBe(true);
    const [row] = await sql`select failures from love.pin_attempts where patient_key = ${user} and clinic_id = 'lab'`;
    expect(row!.failures).toBeGreaterThanOrEqual(5);
    expect((await done("lab", user, pin, t0)).code).toBe("PIN_LOCKED");
  });

  it("treats a second visit on a later day as a new entry and only completes that one (D2)", async () => {
    const user = newUser();
    const day1 = qatar("2030-05-10T09:00");
    const day2 = qatar("2030-05-11T09:00");
    await enter("xr", user, day1);
    await done("xr", user, await pinOf("xr", day1), day1);
    const second = await enter("xr", user, day2);
    expect(second).toMatchObject({ number: 1, status: "WAITING", already_in_queue: false, queue_day: "2030-05-11" });
    await done("xr", user, await pinOf("xr", day2), day2);
    const rows = await entryRow("xr", user);
    expect(rows.map((r) => [r.queue_day, r.status])).toEqual([["2030-05-10", "DONE"], ["2030-05-11", "DONE"]]);
    expect(rows[0]!.done_at.toISOString()).toBe(day1);
  });
});

describe("counters", () => {
  it("keeps clinic_days counts equal to the rows after mixed operations", async () => {
    const now = qatar("2030-06-01T09:00");
    const users = Array.from({ length: 20 }, () => newUser());
    await Promise.all(users.map((u) => enter("women_eyes", u, now)));
    const pin = await pinOf("women_eyes", now);
    // Staff called the first seven (their turn came), who then finish concurrently.
    await sql`update love.queue_entries set status = 'CALLED', called_at = ${now} where patient_key = any(${users.slice(0, 7)})`;
    await Promise.all(users.slice(0, 7).map((u) => done("women_eyes", u, pin, now)));
    await sql`update love.queue_entries set status = 'CALLED', called_at = ${now}
              where patient_key = any(${users.slice(7, 10)})`;
    await sql`update love.queue_entries set status = 'CANCELLED' where patient_key = any(${users.slice(10, 12)})`;
    const [d] = await sql`select waiting, serving, done, cancelled from love.clinic_days
                          where clinic_id = 'women_eyes' and queue_day = '2030-06-01'`;
    const rows = await sql`select status, count(*)::int as n from love.queue_entries
                           where clinic_id = 'women_eyes' and queue_day = '2030-06-01' group by status`;
    const n = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
    expect(d).toEqual({ waiting: n("WAITING"), serving: n("CALLED") + n("IN_SERVICE"), done: n("DONE"), cancelled: n("CANCELLED") });
    expect(d).toEqual({ waiting: 8, serving: 3, done: 7, cancelled: 2 });
  });

  it("counts the people ahead exactly across blocks of numbers, whatever leaves the queue", async () => {
    const now = qatar("2030-06-02T09:00");
    const day = "2030-06-02";
    await sql`select love.queue_enter('women_internal', 'blk-' || g, ${now}::timestamptz) from generate_series(1, 150) g`;
    await sql`select love.queue_enter('women_internal', 'blk-' || g, ${now}::timestamptz) from generate_series(151, 300) g`;
    // Take people out at random: done, called, cancelled.
    await sql`update love.queue_entries set status = (array['DONE', 'CALLED', 'CANCELLED'])[1 + (number % 3)]
              where clinic_id = 'women_internal' and queue_day = ${day} and (number * 7919) % 5 < 2`;
    const rows = await sql`select number, status from love.queue_entries
                           where clinic_id = 'women_internal' and queue_day = ${day} order by number`;
    expect(rows).toHaveLength(300);
    const computed = await sql`select n, love.waiting_ahead('women_internal', ${day}::date, n) as ahead
                               from generate_series(1, 301) n`;
    for (const { n, ahead } of computed) {
      const expected = rows.filter((r) => r.status === "WAITING" && r.number < n).length;
      expect(ahead, `number ${n}`).toBe(expected);
    }
    const [blocks] = await sql`select sum(waiting)::int as n from love.clinic_day_blocks
                               where clinic_id = 'women_internal' and queue_day = ${day}`;
    expect(blocks!.n).toBe(rows.filter((r) => r.status === "WAITING").length);
  });
});

describe("patients and routes", () => {
  it("lets 20 concurrent first logins of one patient succeed with one patient, each with its own session (Q8, H2)", async () => {
    const now = qatar("2030-07-01T08:00");
    const results = await Promise.all(Array.from({ length: 20 }, () => call("patient_login", "55501234", "male", now)));
    expect(results.every((r) => r.success)).toBe(true);
    expect(new Set(results.map((r) => r.data.id)).size).toBe(20);
    const [patients] = await sql`select count(*)::int as n from love.patients where patient_number = '55501234'`;
    expect(patients!.n).toBe(1);
    expect(results[0]!.data).toMatchObject({ patientId: "55501234", gender: "male", status: "logged_in" });
    expect(results[0]!.data.id).toMatch(/^\d{13}-[0-9a-f]{32}$/);
    const nextDay = await call("patient_login", "55501234", "male", qatar("2030-07-02T08:00"));
    expect(nextDay.data.id).not.toBe(results[0]!.data.id);
    expect((await call("patient_login", "1", "male", now)).code).toBe("INVALID_PATIENT_ID");
    expect((await call("patient_login", "12345", "other", now)).code).toBe("INVALID_GENDER");
  });

  it("stores stations as sent, is sticky, and gives concurrent creates one route", async () => {
    const now = qatar("2030-07-03T08:00");
    const patient = newUser("p");
    const stations = [
      { id: "xr", name: "الأشعة", nameAr: "الأشعة", floor: "الميزانين", floorCode: "M", code: "XR", weight: 3, extra: "<b>kept as text</b>" },
      { id: "lab", name: "المختبر", nameAr: "المختبر", floor: "الميزانين", floorCode: "M", code: "LAB", weight: 0 },
    ];
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      call("route_create", patient, "recruitment", "male", i === 0 ? stations : [stations[1]], now)));
    expect(results.filter((r) => r.sticky === false)).toHaveLength(1);
    const created = results.find((r) => r.sticky === false)!;
    for (const r of results) expect(r.route).toEqual(created.route);
    const got = await call("route_get", patient, qatar("2030-07-03T12:00"));
    expect(got.route).toEqual(created.route);
    expect(got.route).toMatchObject({ patientId: patient, examType: "recruitment", currentStep: 0, status: "active" });
    expect((await call("route_get", patient, qatar("2030-07-04T09:00"))).code).toBe("ROUTE_NOT_FOUND");
    expect((await call("route_create", newUser(), "nope", "male", null, now)).code).toBe("UNKNOWN_EXAM_TYPE");
    expect((await call("route_create", newUser(), "cooks", "male", [{ id: "mars" }], now)).code).toBe("UNKNOWN_STATION");
    // Only flat stations of short scalars are stored (issue 15): the database refuses anything else too.
    expect((await call("route_create", newUser(), "cooks", "male", [{ id: "lab", extra: { keep: [1, "x"] } }], now)).code).toBe("INVALID_STATIONS");
  });

  it("builds the exam's route when no stations are sent, and advances it on done and clinic exit", async () => {
    const now = qatar("2030-07-05T08:00");
    const patient = newUser("p");
    const created = await call("route_create", patient, "cooks", "female", null, now);
    expect(created.route.stations.map((s: Json) => s.id)).toEqual(["lab", "int", "ent", "sur"]);
    expect(created.route.stations[0]).toMatchObject({ code: "LAB", floorCode: "M", nameAr: "المختبر" });
    await enter("lab", patient, now);
    await done("lab", patient, await pinOf("lab", now), now);
    expect((await call("route_get", patient, now)).route).toMatchObject({ currentStep: 1, completedStations: ["lab"] });
    // A route alone finishes no clinic (issue 15): clinic/exit needs the clinic's ticket, like queue/done.
    expect((await call("clinic_exit", patient, "internal", await pinOf("int", now), now)).code).toBe("NOT_IN_QUEUE");
    await enter("int", patient, now);
    expect((await call("clinic_exit", patient, "internal", "000000", now)).code).toBe("WRONG_PIN");
    const exit = await call("clinic_exit", patient, "internal", await pinOf("int", now), now);
    expect(exit).toMatchObject({ success: true, already_done: false, next_clinic: "ent", route: { currentStep: 2, completedStations: ["lab", "int"] } });
    expect((await call("clinic_exit", patient, "int", "bad", now))).toMatchObject({ success: true, already_done: true, next_clinic: "ent" });
    expect((await call("clinic_exit", patient, "ecg", "1234", now)).code).toBe("NOT_IN_QUEUE");
    const path = await call("path_choose", patient, null, null, now);
    expect(path).toMatchObject({ sticky: true, route: ["lab", "int", "ent", "sur"] });
    expect(await call("path_choose", null, "aviation", "male", now)).toMatchObject({ sticky: false, route: ["lab", "eye", "int", "ent", "ecg", "aud"] });
  });
});

describe("Q5: every PL/pgSQL function of the flow actually executes", () => {
  it("has run each one at least once in this file (SQL-language functions are validated at creation)", async () => {
    // The staff side's functions (issue 4) are exercised by test/staff/staff-sql.test.ts and sign-in-sql.test.ts,
    // those the security migrations (issue 15) define by test/security/security-sql.test.ts, pacing's (issue 11)
    // by test/pacing/pacing-sql.test.ts.
    const elsewhere = [...STAFF_FUNCTIONS, ...SIGN_IN_FUNCTIONS, ...SECURITY_FUNCTIONS, ...PACING_FUNCTIONS];
    const { functions, notRun } = await plpgsqlRun(db, (name) => !elsewhere.includes(name));
    expect(functions.length).toBeGreaterThan(10);
    expect(notRun).toEqual([]);
  });
});
