// The staff side's SQL (supabase/migrations/*_staff.sql) on a real Postgres 17: RLS as the anon role (bug S4),
// bcrypt-only admins (S5), queue_call under real concurrency (D1), the login and rate-limit counters under
// concurrency, PIN regeneration, and every new function executed once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { plpgsqlRun, startDatabase, type TestDatabase } from "../flow/_db.ts";
import { hashPassword } from "../../functions/_shared/admin-accounts.ts";
import { STAFF_FUNCTIONS } from "../support/migration-functions.ts";

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

let seq = 0;
const user = () => `sqlstaff-${Date.now()}-${++seq}`;
const r = async (query: Promise<postgres.Row[]>) => (await query)[0]!.r;

const NEW_TABLES = ["admins", "admin_sessions", "admin_login_attempts", "admin_token_keys", "admin_requests",
  "clinic_settings", "reports", "rate_limits"];

describe("RLS and privileges (S4)", () => {
  it("enables RLS on the staff tables, with no policy and no privilege for the API roles", async () => {
    const rows = await sql`select relname, relrowsecurity from pg_class
                           where relnamespace = 'love'::regnamespace and relname = any(${NEW_TABLES})`;
    expect(rows.map((row) => row.relname).sort()).toEqual([...NEW_TABLES].sort());
    for (const row of rows) expect(row.relrowsecurity, row.relname).toBe(true);
    expect(await sql`select * from pg_policies where schemaname = 'love' and tablename = any(${NEW_TABLES})`).toEqual([]);
    const grants = await sql`select table_name, grantee, privilege_type from information_schema.role_table_grants
                             where table_schema = 'love' and table_name = any(${NEW_TABLES})
                               and grantee in ('anon', 'authenticated', 'PUBLIC')`;
    expect(grants).toEqual([]);
  });

  it("denies anon and authenticated every read of admins, PINs and sessions and every write of queue entries", async () => {
    const attempts = [
      "select * from love.admins",
      "select password_hash from love.admins",
      "select * from love.admin_sessions",
      "select * from love.admin_token_keys",
      "select * from love.admin_login_attempts",
      "select * from love.daily_pins",
      "select * from love.patient_sessions",
      "select * from love.rate_limits",
      "insert into love.admins (username, password_hash) values ('evil', 'plain')",
      "insert into love.queue_entries (clinic_id, queue_day, number, patient_key, entered_at) values ('lab', current_date, 999, 'x', now())",
      "update love.queue_entries set status = 'DONE'",
      "delete from love.queue_entries",
      "update love.daily_pins set pin = '0000'",
      "select love.queue_call('lab', 1, null, now())",
      "select love.pin_status(null, now())",
      "select love.admin_token_keys()",
      "select love.ensure_admin('evil', '$2b$04$abcdefghijklmnopqrstuuOPKMCkrAM8YeYzHr8ZLN7lCTH1mzNX.', 'super_admin')",
      "select love.admin_login_begin('evil', now())",
      "select love.rate_limit_hit('x', 1)",
    ];
    for (const role of ["anon", "authenticated"]) {
      for (const statement of attempts) {
        await expect(sql.begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          await tx.unsafe(statement);
        }), `${role}: ${statement}`).rejects.toThrow(/permission denied/);
      }
    }
  });

  it("stores only bcrypt hashes: a plaintext password cannot be inserted", async () => {
    await expect(sql`insert into love.admins (username, password_hash) values ('plain', 'admin123')`)
      .rejects.toThrow(/check constraint/);
    const result = await r(sql`select love.ensure_admin('plain2', 'admin123', 'admin') as r`);
    expect(result).toMatchObject({ success: false, code: "INVALID_PASSWORD_HASH" });
    expect(await sql`select 1 from love.admins`).toHaveLength(0);
  });
});

async function enterMany(clinic: string, count: number, now = new Date()): Promise<string[]> {
  const users: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = user();
    users.push(key);
    await sql`select love.queue_enter(${clinic}, ${key}, ${now.toISOString()}::timestamptz)`;
  }
  return users;
}

describe("queue_call (D1)", () => {
  it("gives concurrent calls different patients, completes nobody, and answers 'none' when the queue is empty", async () => {
    const now = new Date("2031-05-05T08:00:00Z");
    const users = await enterMany("ent", 12, now);
    // Separate connections, so the calls really run at once.
    const clients = Array.from({ length: 20 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const results = await Promise.all(clients.map((client) =>
        client`select love.queue_call('ent', null, null, ${now.toISOString()}::timestamptz) as r`.then((rows) => rows[0]!.r)
      ));
      const called = results.filter((result) => result.success);
      expect(called).toHaveLength(12);
      expect(new Set(called.map((result) => result.number)).size).toBe(12);
      expect(new Set(called.map((result) => result.user))).toEqual(new Set(users));
      expect(results.filter((result) => !result.success).every((result) => result.code === "NO_PATIENTS_WAITING")).toBe(true);
      const statuses = await sql`select status, count(*)::int as n from love.queue_entries
                                 where patient_key = any(${users}) group by status`;
      expect(statuses).toEqual([{ status: "CALLED", n: 12 }]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("is idempotent per request key, also under concurrency", async () => {
    const now = new Date("2031-05-06T08:00:00Z");
    const users = await enterMany("aud", 3, now);
    const clients = Array.from({ length: 8 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const results = await Promise.all(clients.map((client) =>
        client`select love.queue_call('aud', null, 'same-key-1', ${now.toISOString()}::timestamptz) as r`.then((rows) => rows[0]!.r)
      ));
      expect(new Set(results.map((result) => result.number))).toEqual(new Set([1]));
      expect(results.filter((result) => result.replayed === false)).toHaveLength(1);
      const called = await sql`select patient_key from love.queue_entries where patient_key = any(${users}) and status = 'CALLED'`;
      expect(called.map((row) => row.patient_key)).toEqual([users[0]]);
      const next = await r(sql`select love.queue_call('aud', null, 'other-key', ${now.toISOString()}::timestamptz) as r`);
      expect(next).toMatchObject({ success: true, number: 2, replayed: false });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

describe("counters kept in Postgres", () => {
  it("admin login lets at most 5 of 20 concurrent attempts through, then locks the name", async () => {
    const clients = Array.from({ length: 20 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const results = await Promise.all(clients.map((client) =>
        client`select love.admin_login_begin('concurrent-name') as r`.then((rows) => rows[0]!.r)
      ));
      expect(results.filter((result) => !result.locked)).toHaveLength(5);
      const [row] = await sql`select failures, locked_until > now() as locked from love.admin_login_attempts
                              where username_key = 'concurrent-name'`;
      expect(row).toMatchObject({ failures: 5, locked: true });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("rate_limit_hit allows exactly the limit within one window under concurrency", async () => {
    const at = "2031-01-01T10:00:05Z";
    const clients = Array.from({ length: 10 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      const results = (await Promise.all(clients.map(async (client) => {
        const own = [];
        for (let i = 0; i < 10; i++) {
          own.push((await client`select love.rate_limit_hit('ip:198.51.100.1', 60, 60, ${at}::timestamptz) as r`)[0]!.r);
        }
        return own;
      }))).flat();
      expect(results.filter((result) => result.allowed)).toHaveLength(60);
      expect(results.filter((result) => !result.allowed).every((result) => result.retry_after === 55)).toBe(true);
      const nextWindow = await r(sql`select love.rate_limit_hit('ip:198.51.100.1', 60, 60, '2031-01-01T10:01:00Z') as r`);
      expect(nextWindow).toMatchObject({ allowed: true, hits: 1 });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});

describe("PINs for staff", () => {
  it("regenerates distinct PINs that differ from every PIN the day had", async () => {
    const now = "2031-02-02T09:00:00Z";
    const before = await r(sql`select love.pin_status(null, ${now}::timestamptz) as r`);
    const oldPins = Object.values(before.pins as Record<string, { pin: string }>).map((entry) => entry.pin);
    expect(oldPins.length).toBeGreaterThanOrEqual(12);
    const one = await r(sql`select love.pin_generate('xray', null, null, ${now}::timestamptz) as r`);
    expect(one.clinic).toBe("xr");
    expect(oldPins).not.toContain(one.pin);
    const middle = await r(sql`select love.pin_status(null, ${now}::timestamptz) as r`);
    const middlePins = Object.values(middle.pins as Record<string, { pin: string }>).map((entry) => entry.pin);
    expect(middlePins).toContain(one.pin);
    const all = await r(sql`select love.pin_generate(null, null, null, ${now}::timestamptz) as r`);
    const newPins = Object.values(all.pins as Record<string, { pin: string }>).map((entry) => entry.pin);
    expect(newPins).toHaveLength(middlePins.length);
    expect(new Set(newPins).size).toBe(newPins.length);
    for (const pin of newPins) {
      expect(pin).toMatch(/^[0-9]{6}$/);
      expect(middlePins).not.toContain(pin);
    }
  });
});

describe("every staff function runs (Q5)", () => {
  it("executes each one without error", async () => {
    const hash = await hashPassword("a long enough secret", 4);
    const created = await r(sql`select love.create_admin('sqladmin', ${hash}, 'admin') as r`);
    expect(created).toMatchObject({ success: true, created: true });
    expect(await r(sql`select love.create_admin('SQLADMIN', ${hash}, 'admin') as r`)).toMatchObject({ code: "ADMIN_EXISTS" });
    expect(await r(sql`select love.ensure_admin('sqladmin', ${hash}) as r`)).toMatchObject({ success: true, created: false });
    const id = created.admin.id as number;
    const begin = await r(sql`select love.admin_login_begin('sqladmin') as r`);
    expect(begin.admin.password_hash).toBe(hash);
    const session = await r(sql`select love.admin_login_succeeded(${id}, 3600, '127.0.0.1') as r`);
    expect(await r(sql`select love.admin_session(${session.session_id}::uuid, ${id}) as r`)).toMatchObject({ username: "sqladmin" });
    expect(await r(sql`select love.admin_logout(${session.session_id}::uuid) as r`)).toMatchObject({ revoked: true });
    expect(await r(sql`select love.admin_session(${session.session_id}::uuid, ${id}) as r`)).toBeNull();
    expect(await r(sql`select love.set_admin_password('sqladmin', ${hash}) as r`)).toMatchObject({ success: true });
    const keys = await r(sql`select love.admin_token_keys() as r`);
    const kid = await r(sql`select love.rotate_admin_token_key() as r`);
    const rotated = await r(sql`select love.admin_token_keys() as r`);
    expect(rotated[0]).toMatchObject({ kid, signing: true });
    expect(rotated.map((key: { kid: string }) => key.kid)).toContain(keys[0].kid);
    const now = new Date().toISOString();
    for (const query of [
      sql`select love.admin_status(${now}::timestamptz) as r`,
      sql`select love.stats_dashboard(${now}::timestamptz) as r`,
      sql`select love.stats_queues(${now}::timestamptz) as r`,
      sql`select love.set_call_interval('lab', 5, ${id}, ${now}::timestamptz) as r`,
      sql`select love.call_intervals('lab') as r`,
      sql`select love.report('weekly', '2031-W05', '2031-01-27', '2031-02-02', ${id}, ${now}::timestamptz) as r`,
      sql`select love.reports_history(10) as r`,
      sql`select love.notify_status(null, 10) as r`,
    ]) {
      expect((await r(query)).success).toBe(true);
    }
    expect(await r(sql`select love.set_call_interval('lab', 0, ${id}) as r`)).toMatchObject({ code: "INVALID_INTERVAL" });
    expect(await r(sql`select love.report('daily', 'x', '2031-01-02', '2031-01-01', ${id}) as r`)).toMatchObject({ code: "INVALID_PERIOD" });
  });
});

describe("Q5: every PL/pgSQL function of the staff migration actually executes", () => {
  it("has run each one at least once in this file", async () => {
    // Functions new in the sign-in migration are sign-in-sql.test.ts's to run.
    const { functions, notRun } = await plpgsqlRun(db, (name) => STAFF_FUNCTIONS.includes(name));
    expect(functions.length).toBeGreaterThan(15);
    expect(notRun).toEqual([]);
  });
});
