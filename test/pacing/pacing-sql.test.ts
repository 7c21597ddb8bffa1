// Pacing's SQL on a real Postgres 17: change versions moved by every queue and PIN change (one per statement,
// under concurrency), the paced position read's decision, and the rate limits' batched counters under concurrency.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { plpgsqlRun, startDatabase, type TestDatabase } from "../flow/_db.ts";
import { PACING_FUNCTIONS } from "../support/migration-functions.ts";

let db: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  // Count calls of every function, for the "every function ran" check at the end.
  db = await startDatabase({ trackFunctions: true });
  sql = db.sql;
});
afterAll(async () => {
  await db?.stop();
});

const version = async (clinic: string): Promise<number> =>
  Number((await sql`select love.change_versions_of(array[${clinic}]::text[]) ->> ${clinic} as v`)[0]!.v);

const paced = async (clinic: string, user: string, mode: string, seen: string | null = null, withinMs = 5_000) =>
  (await sql`select love.queue_position_paced(${clinic}, ${user}, now(), ${mode}, ${seen}, ${withinMs}) as r`)[0]!.r;

describe("change versions", () => {
  it("move on with every enter, call, done and PIN change of a clinic, once per statement, and only that clinic's", async () => {
    expect(await version("sur")).toBe(0);
    await sql`select love.queue_enter('sur', 'cv-1', now())`;
    expect(await version("sur")).toBe(1);
    // A replayed enter changes nothing.
    await sql`select love.queue_enter('surgery', 'cv-1', now())`;
    expect(await version("sur")).toBe(1);
    await sql`select love.queue_enter('sur', 'cv-2', now())`;
    await sql`select love.queue_call('sur', null, null, now())`;
    expect(await version("sur")).toBe(3);
    // The day's first PIN read creates every clinic's PIN: a PIN change of each.
    const pin = (await sql`select love.current_pin('sur', now()) as pin`)[0]!.pin;
    expect(await version("sur")).toBe(4);
    await sql`select love.queue_done('sur', 'cv-1', ${pin}, now())`;
    expect(await version("sur")).toBe(5);
    const before = { psy: await version("psy"), sur: await version("sur") };
    await sql`select love.pin_generate('psy', null, null, now())`;
    expect(await version("psy")).toBe(before.psy + 1);
    expect(await version("sur")).toBe(before.sur);
    // A statement touching many rows of two clinics moves each once.
    await sql`select love.queue_enter('der', 'cv-3', now()), love.queue_enter('der', 'cv-4', now())`;
    const [dnt, der] = [await version("dnt"), await version("der")];
    await sql`update love.queue_entries set status = 'CANCELLED', cancelled_at = now()
              where clinic_id in ('dnt', 'der') and status = 'WAITING'`;
    expect(await version("der")).toBe(der + 1);
    expect(await version("dnt")).toBe(dnt);
  });

  it("count every one of 50 concurrent enters into one clinic, with consecutive numbers and no deadlock", async () => {
    const start = await version("ent");
    const clients = Array.from({ length: 10 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const numbers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        clients[i % clients.length]!`select love.queue_enter('ent', ${`cc-${i}`}, now()) ->> 'number' as n`
          .then(([row]) => Number(row!.n))));
      expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    expect(await version("ent")).toBe(start + 50);
  });
});

describe("queue_position_paced", () => {
  it("answers a first read, holds the repeat of an unchanged answer, answers one that changed", async () => {
    await sql`select love.queue_enter('aud', 'pp-1', now()), love.queue_enter('aud', 'pp-2', now())`;
    const first = await paced("aud", "pp-2", "arrive");
    expect(first).toMatchObject({ success: true, clinic: "aud", ahead: 1, display_number: 1, pacing: { hold: false } });
    const again = await paced("audio", "pp-2", "arrive");
    expect(again.pacing).toMatchObject({ hold: true, fingerprint: first.pacing.fingerprint });
    // The version a hold starts from is the clinic's current one.
    expect(again.pacing.version).toBe(await version("aud"));
    // Someone enters behind: total_waiting changed, so the answer differs and is answered (and recorded).
    await sql`select love.queue_enter('aud', 'pp-3', now())`;
    const woken = await paced("aud", "pp-2", "recheck", first.pacing.fingerprint);
    expect(woken).toMatchObject({ total_waiting: 3, pacing: { hold: false } });
    expect((await paced("aud", "pp-2", "arrive")).pacing.hold).toBe(true);
    // A recheck whose answer still shows what the client saw stays held.
    expect((await paced("aud", "pp-2", "recheck", woken.pacing.fingerprint)).pacing.hold).toBe(true);
    // The end of a hold answers whatever it shows.
    expect((await paced("aud", "pp-2", "answer")).pacing.hold).toBe(false);
  });

  it("answers at once after a pause longer than the repeat window, and after the patient entered again", async () => {
    await sql`select love.queue_enter('ecg', 'pw-1', now())`;
    await paced("ecg", "pw-1", "arrive", null, 200);
    expect((await paced("ecg", "pw-1", "arrive", null, 200)).pacing.hold).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await paced("ecg", "pw-1", "arrive", null, 200)).pacing.hold).toBe(false);
    expect((await paced("ecg", "pw-1", "arrive", null, 5_000)).pacing.hold).toBe(true);
    await sql`select love.forget_position_answer('ECG', 'pw-1')`;
    expect((await paced("ecg", "pw-1", "arrive", null, 5_000)).pacing.hold).toBe(false);
  });

  it("passes failures through unheld and refuses an unknown mode", async () => {
    expect(await paced("lab", "nobody-here", "arrive")).toMatchObject({ success: false, code: "NOT_IN_QUEUE" });
    expect(await paced("nowhere", "x", "arrive")).toMatchObject({ success: false, code: "UNKNOWN_CLINIC" });
    await expect(paced("lab", "x", "sometimes")).rejects.toMatchObject({ code: "22023" });
    const [row] = await sql`select count(*)::int as n from love.position_answers where patient_key in ('nobody-here', 'x')`;
    expect(row!.n).toBe(0);
  });
});

describe("rate_limit_add", () => {
  it("adds concurrent batches with overlapping keys in any order exactly, without deadlocks", async () => {
    const window = "2031-05-01T10:00:00Z";
    const keys = Array.from({ length: 12 }, (_, i) => `ip:203.0.113.${i}`);
    const clients = Array.from({ length: 8 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => {
        const batch = [...keys].sort(() => Math.random() - 0.5).slice(0, 8);
        return clients[i % clients.length]!`select love.rate_limit_add(${batch}::text[], ${batch.map(() => 2)}::int[],
          ${window}::timestamptz, 60)`;
      }));
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    const rows = await sql`select sum(hits)::int as total from love.rate_limits where window_start = ${window}::timestamptz`;
    expect(rows[0]!.total).toBe(40 * 8 * 2);
    const r = (await sql`select love.rate_limit_add(array['ip:203.0.113.0', 'ip:203.0.113.0', 'user:u'],
      array[1, 2, 5], ${window}::timestamptz, 60) as r`)[0]!.r;
    expect(r["user:u"]).toBe(5);
    expect(r["ip:203.0.113.0"]).toBeGreaterThanOrEqual(3);
  });
});

describe("every PL/pgSQL function of the pacing migrations", () => {
  it("has run at least once in this file (SQL-language functions are validated at creation)", async () => {
    const { functions, notRun } = await plpgsqlRun(db, (name) => PACING_FUNCTIONS.includes(name));
    expect(functions.sort()).toEqual(["bump_change_versions", "queue_position_paced", "rate_limit_add"]);
    expect(notRun).toEqual([]);
  });
});
