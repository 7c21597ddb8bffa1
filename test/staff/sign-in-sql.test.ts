// Staff sign-in's SQL (supabase/migrations/*_admin_sign_in.sql) on a real Postgres 17: the lockout budgets
// (per name and address, progressive per name, trusted devices) under real concurrency and over simulated
// hours, one-time links, sign-out, session list/revoke, rotation, and every function executed once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { plpgsqlRun, startDatabase, type TestDatabase } from "../flow/_db.ts";
import { SIGN_IN_FUNCTIONS } from "../support/migration-functions.ts";
import { clientAddress } from "./_staff.ts";
import { createSignInLink, hashPassword } from "../../functions/_shared/admin-accounts.ts";
import { sha256Hex } from "../../functions/_shared/admin-secrets.ts";

let db: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await startDatabase({ trackFunctions: true });
  sql = db.sql;
});
afterAll(async () => {
  await db?.stop();
});

const r = async (query: Promise<postgres.Row[]>) => (await query)[0]!.r;
let seq = 0;
const name = (prefix = "adm") => `${prefix}${Date.now() % 100000}x${++seq}`;
const at = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000).toISOString();
const hex = (n: number) => n.toString(16).padStart(64, "0");

async function admin(role: "admin" | "super_admin" = "admin", username = name()) {
  const hash = await hashPassword("a long enough secret", 4);
  const created = await r(sql`select love.create_admin(${username}, ${hash}, ${role}) as r`);
  expect(created.success, JSON.stringify(created)).toBe(true);
  return created.admin as { id: number; username: string };
}

const begin = (username: string, client: string, device: string | null, now: string) =>
  r(sql`select love.admin_sign_in_begin(${username}, ${client}, ${device}, ${now}::timestamptz) as r`);

async function open(adminId: number, now: string, options: { device?: string; newDevice?: string; replaces?: string; client?: string } = {}) {
  return await r(sql`select love.admin_sign_in_succeeded(${adminId}, 'basic', 28800, ${options.client ?? "192.0.2.1"}, ${options.device ?? null},
    ${options.newDevice ?? null}, ${options.replaces ?? null}::uuid, ${now}::timestamptz) as r`);
}

const NEW_TABLES = ["admin_sign_in_throttle", "admin_devices", "admin_sign_in_links", "admin_audit"];

describe("RLS and privileges", () => {
  it("enables RLS on the new tables, with no policy and no privilege for the API roles", async () => {
    const rows = await sql`select relname, relrowsecurity from pg_class
                           where relnamespace = 'love'::regnamespace and relname = any(${NEW_TABLES})`;
    expect(rows.map((row) => row.relname).sort()).toEqual([...NEW_TABLES].sort());
    for (const row of rows) expect(row.relrowsecurity, row.relname).toBe(true);
    const grants = await sql`select table_name from information_schema.role_table_grants
                             where table_schema = 'love' and table_name = any(${NEW_TABLES})
                               and grantee in ('anon', 'authenticated', 'PUBLIC')`;
    expect(grants).toEqual([]);
    const executable = await sql`select p.proname from pg_proc p
      where p.pronamespace = 'love'::regnamespace and p.proname like 'admin_%'
        and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))`;
    expect(executable).toEqual([]);
  });
});

describe("the lockout a stranger cannot turn against the owner (issue 15 M3)", () => {
  it("locks one (name, address) after 5 failures for 15 minutes, and delays the name progressively from anywhere", async () => {
    const target = await admin();
    const t0 = new Date("2026-12-05T08:00:00Z");
    for (let i = 0; i < 5; i++) expect((await begin(target.username, "198.51.100.1", null, at(t0, i))).locked).toBe(false);
    // The fifth failure started the name's delay (1 minute) and locked the pair (15 minutes).
    expect(await begin(target.username, "198.51.100.2", null, at(t0, 10))).toMatchObject({ locked: true, scope: "name" });
    expect(await begin(target.username, "198.51.100.1", null, at(t0, 70))).toMatchObject({ locked: true, scope: "pair" });
    // Other addresses wait for the delay, which doubles with every further failure up to 15 minutes.
    const delays: number[] = [];
    let now = 70;
    for (let i = 0; i < 7; i++) {
      const allowed = await begin(target.username, `198.51.100.${10 + i}`, null, at(t0, now));
      expect(allowed.locked, `attempt ${i} at +${now}s`).toBe(false);
      const next = await begin(target.username, `198.51.100.${50 + i}`, null, at(t0, now + 1));
      expect(next).toMatchObject({ locked: true, scope: "name" });
      delays.push(next.retry_after + 1);
      now += next.retry_after + 1;
    }
    expect(delays).toEqual([120, 240, 480, 900, 900, 900, 900]);
  });

  it("lets the owner's trusted device in while strangers hammer the name from many addresses", async () => {
    const owner = await admin();
    const device = hex(++seq);
    const t0 = new Date("2026-12-06T08:00:00Z");
    await open(owner.id, at(t0, 0), { newDevice: device });
    let strangers = 0;
    for (let i = 0; i < 40; i++) {
      const attempt = await begin(owner.username, `203.0.113.${i}`, null, at(t0, 10 + i));
      if (!attempt.locked) strangers++;
    }
    expect(strangers).toBe(5);
    const own = await begin(owner.username, "203.0.113.7", device, at(t0, 60));
    expect(own).toMatchObject({ locked: false, trusted: true });
    expect(own.admin.password_hash).toMatch(/^\$2/);
    // A device cookie of another admin, or a made-up one, counts as a stranger.
    const other = await admin();
    const foreign = hex(++seq);
    await open(other.id, at(t0, 0), { newDevice: foreign });
    expect(await begin(owner.username, "203.0.113.9", foreign, at(t0, 61))).toMatchObject({ locked: true, scope: "name" });
    expect(await begin(owner.username, "203.0.113.9", hex(999_999), at(t0, 61))).toMatchObject({ locked: true, scope: "name" });
    // The trusted device has its own budget: 10 failures, then 15 minutes.
    for (let i = 1; i < 10; i++) expect((await begin(owner.username, "203.0.113.7", device, at(t0, 60 + i))).locked).toBe(false);
    expect(await begin(owner.username, "203.0.113.7", device, at(t0, 80))).toMatchObject({ locked: true, scope: "device" });
    expect((await begin(owner.username, "203.0.113.7", device, at(t0, 60 + 16 * 60))).locked).toBe(false);
  });

  it("holds strangers to a few guesses an hour per name over half a day, from any number of addresses", async () => {
    const target = await admin();
    const t0 = new Date("2026-12-07T00:00:00Z");
    const perHour = new Array<number>(12).fill(0);
    // One guess every 30 seconds from a new address each time, for 12 simulated hours.
    for (let second = 0; second < 12 * 3600; second += 30) {
      const attempt = await begin(target.username, clientAddress(second), null, at(t0, second));
      if (!attempt.locked) perHour[Math.floor(second / 3600)]!++;
    }
    expect(perHour[0]).toBeLessThanOrEqual(12);
    for (const [hour, guesses] of perHour.entries()) if (hour > 0) expect(guesses, `hour ${hour}`).toBeLessThanOrEqual(5);
    expect(perHour.reduce((a, b) => a + b, 0)).toBeLessThan(60);
  }, 120_000);

  it("counts unknown names exactly like known ones, and forgets a name's failures after a quiet hour", async () => {
    const known = await admin();
    const unknown = name("ghost");
    const t0 = new Date("2026-12-08T08:00:00Z");
    const trace = async (username: string) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        const attempt = await begin(username, `192.0.2.${i}`, null, at(t0, i * 30));
        out.push(attempt.locked ? `${attempt.scope}:${attempt.retry_after}` : "open");
      }
      return out;
    };
    const knownTrace = await trace(known.username);
    expect(await trace(unknown)).toEqual(knownTrace);
    const unknownBegin = await begin(unknown, "192.0.2.200", null, at(t0, 7200));
    expect(unknownBegin).toMatchObject({ locked: false, admin: null, decoy_cost: 4 });
    const [row] = await sql`select failures from love.admin_sign_in_throttle where scope = 'name' and key = ${unknown}`;
    expect(row!.failures).toBe(1);
  });

  it("admits at most the free budget among 30 concurrent guesses from 30 addresses", async () => {
    const target = await admin();
    const now = new Date().toISOString();
    const clients = Array.from({ length: 10 }, () => postgres(db.url, { max: 3, onnotice: () => {} }));
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        r(clients[i % clients.length]!`select love.admin_sign_in_begin(${target.username}, ${`198.18.0.${i}`}, null, ${now}::timestamptz) as r`)
      ));
      expect(results.filter((result) => !result.locked)).toHaveLength(5);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("never deadlocks when attempts and successful sign-ins of one name and address meet", async () => {
    const target = await admin();
    const clients = Array.from({ length: 6 }, () =>
      postgres(db.url, { max: 2, onnotice: () => {}, connection: { deadlock_timeout: "20ms" } })
    );
    const deadlocks: string[] = [];
    try {
      for (let round = 0; round < 40; round++) {
        const now = new Date().toISOString();
        await Promise.all(clients.map(async (client, i) => {
          try {
            if (i % 2 === 0) await client`select love.admin_sign_in_begin(${target.username}, '192.0.2.1', null, ${now}::timestamptz)`;
            else await client`select love.admin_sign_in_succeeded(${target.id}, 'basic', 60, '192.0.2.1', null, null, null, ${now}::timestamptz)`;
          } catch (error) {
            deadlocks.push((error as Error).message);
          }
        }));
        await sql`delete from love.admin_sign_in_throttle where key like ${`${target.username}%`}`;
      }
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
    expect(deadlocks).toEqual([]);
  });

  it("refunds a successful attempt and rotates the session the browser carried", async () => {
    const owner = await admin();
    const t0 = new Date("2026-12-09T08:00:00Z");
    for (let i = 0; i < 4; i++) await begin(owner.username, "192.0.2.1", null, at(t0, i));
    const first = await open(owner.id, at(t0, 5));
    expect(first).toMatchObject({ success: true, admin: { username: owner.username } });
    expect(await sql`select 1 from love.admin_sign_in_throttle where scope = 'pair' and key = ${`${owner.username} 192.0.2.1`}`).toHaveLength(0);
    const [nameRow] = await sql`select failures from love.admin_sign_in_throttle where scope = 'name' and key = ${owner.username}`;
    expect(nameRow!.failures).toBe(3);
    const second = await open(owner.id, at(t0, 6), { replaces: first.session_id });
    expect(second.session_id).not.toBe(first.session_id);
    const sessions = await sql`select id, revoked_at is not null as revoked, method from love.admin_sessions where admin_id = ${owner.id}`;
    expect(sessions.find((s) => s.id === first.session_id)).toMatchObject({ revoked: true, method: "basic" });
    expect(sessions.find((s) => s.id === second.session_id)).toMatchObject({ revoked: false });
    expect(await r(sql`select love.admin_sign_in_failed(${owner.username}, '192.0.2.1', 'basic', false) as r`)).toMatchObject({ success: true });
    const audit = await sql`select action from love.admin_audit where admin_id = ${owner.id} order by id`;
    expect(audit.map((row) => row.action)).toEqual(["SIGN_IN", "SIGN_IN", "SIGN_IN_FAILED"]);
  });
});

describe("one session for one burst of Basic answers", () => {
  it("shares the session of answers from one address within seconds, also when they arrive at once", async () => {
    const nurse = await admin();
    const t0 = new Date();
    const burst = await Promise.all(Array.from({ length: 8 }, () => open(nurse.id, t0.toISOString(), { client: "192.0.2.40" })));
    expect(new Set(burst.map((result) => result.session_id)).size).toBe(1);
    const sameBrowserLater = await open(nurse.id, at(t0, 5), { client: "192.0.2.40" });
    expect(sameBrowserLater.session_id).toBe(burst[0]!.session_id);
    expect((await open(nurse.id, at(t0, 11), { client: "192.0.2.40" })).session_id).not.toBe(burst[0]!.session_id);
    expect((await open(nurse.id, at(t0, 1), { client: "192.0.2.41" })).session_id).not.toBe(burst[0]!.session_id);
    // A password form sign-in never joins one.
    const form = await r(sql`select love.admin_sign_in_succeeded(${nurse.id}, 'password', 28800, '192.0.2.40', null, null, null,
      ${at(t0, 2)}::timestamptz) as r`);
    expect(form.session_id).not.toBe(burst[0]!.session_id);
    // A signed-out session is never handed out again.
    await r(sql`select love.admin_sign_out(${burst[0]!.session_id}::uuid, 'x') as r`);
    expect((await open(nurse.id, at(t0, 3), { client: "192.0.2.40" })).session_id).not.toBe(burst[0]!.session_id);
  });
});

describe("one-time sign-in links", () => {
  it("work once, expire, die with the session that issued them or a password change, and respect roles", async () => {
    const boss = await admin("super_admin");
    const clerk = await admin("admin");
    const now = new Date();
    const code = async (username: string, issuer: { id: number; session: string } | null, ttl = 600) => {
      const value = `code-${++seq}-${Math.random()}`;
      const created = await r(sql`select love.admin_link_create(${username}, ${await sha256Hex(value)}, ${ttl},
        ${issuer?.id ?? null}, ${issuer?.session ?? null}::uuid, ${now.toISOString()}::timestamptz) as r`);
      return { value, created };
    };
    const redeem = async (value: string, when = now) =>
      r(sql`select love.admin_link_sign_in(${await sha256Hex(value)}, 28800, '192.0.2.9', null, null, null, ${when.toISOString()}::timestamptz) as r`);

    const cli = await createSignInLink(sql, clerk.username, 10);
    expect(cli).toMatchObject({ success: true, path: expect.stringMatching(/^\/api\/v1\/admin\/session\?code=[A-Za-z0-9_-]{43}$/) });
    const [stored] = await sql`select code_hash from love.admin_sign_in_links where code_hash = ${await sha256Hex(cli.code!)}`;
    expect(stored).toBeDefined();
    expect(JSON.stringify(await sql`select * from love.admin_sign_in_links`)).not.toContain(cli.code!);

    const once = await code(clerk.username, null);
    expect(once.created).toMatchObject({ success: true });
    const session = await redeem(once.value);
    expect(session).toMatchObject({ success: true, admin: { username: clerk.username } });
    expect(await redeem(once.value)).toMatchObject({ success: false, code: "INVALID_LINK" });

    const expiring = await code(clerk.username, null, 60);
    expect(await redeem(expiring.value, new Date(now.getTime() + 61_000))).toMatchObject({ code: "INVALID_LINK" });

    const bossSession = await open(boss.id, now.toISOString());
    const issued = await code(clerk.username, { id: boss.id, session: bossSession.session_id });
    expect(await r(sql`select love.admin_sign_out(${bossSession.session_id}::uuid, '192.0.2.9') as r`)).toMatchObject({ revoked: true });
    expect(await redeem(issued.value)).toMatchObject({ code: "INVALID_LINK" });

    const clerkSession = await open(clerk.id, now.toISOString());
    expect((await code(boss.username, { id: clerk.id, session: clerkSession.session_id })).created).toMatchObject({ code: "FORBIDDEN" });
    expect((await code(clerk.username, { id: clerk.id, session: clerkSession.session_id })).created).toMatchObject({ success: true });
    expect((await code("nobody-here", null)).created).toMatchObject({ code: "ADMIN_NOT_FOUND" });
    expect(await r(sql`select love.admin_link_create(${clerk.username}, 'not-a-hash', 600, null, null) as r`)).toMatchObject({ code: "INVALID_CODE" });
    expect(await r(sql`select love.admin_link_create(${clerk.username}, ${hex(1)}, 7200, null, null) as r`)).toMatchObject({ code: "INVALID_TTL" });

    const pending = await code(clerk.username, null);
    await open(clerk.id, now.toISOString(), { newDevice: hex(++seq) });
    expect(await sql`select 1 from love.admin_devices where admin_id = ${clerk.id} and revoked_at is null`).toHaveLength(1);
    const hash = await hashPassword("another long secret", 4);
    expect(await r(sql`select love.set_admin_password(${clerk.username}, ${hash}) as r`)).toMatchObject({ success: true });
    expect(await redeem(pending.value)).toMatchObject({ code: "INVALID_LINK" });
    expect(await sql`select 1 from love.admin_devices where admin_id = ${clerk.id} and revoked_at is null`).toHaveLength(0);
  });
});

describe("sessions: list and revoke", () => {
  it("lets an admin list and revoke their own sessions, and a super_admin everyone's", async () => {
    const boss = await admin("super_admin");
    const clerk = await admin("admin");
    const now = new Date().toISOString();
    const a = await open(clerk.id, now, { client: "192.0.2.31" });
    const b = await open(clerk.id, now, { client: "192.0.2.32" });
    const own = await r(sql`select love.admin_sessions_list(${clerk.id}, false) as r`);
    expect(own.sessions.map((s: { id: string }) => s.id).sort()).toEqual([a.session_id, b.session_id].sort());
    expect(own.sessions.find((s: { id: string }) => s.id === a.session_id)).toMatchObject({ username: clerk.username, method: "basic", client: "192.0.2.31" });
    expect(await r(sql`select love.admin_sessions_list(${clerk.id}, true) as r`)).toMatchObject({ code: "FORBIDDEN" });
    const everyone = await r(sql`select love.admin_sessions_list(${boss.id}, true) as r`);
    expect(everyone.sessions.length).toBeGreaterThanOrEqual(2);

    const bossSession = await open(boss.id, now);
    expect(await r(sql`select love.admin_session_revoke(${clerk.id}, ${bossSession.session_id}::uuid, 'x') as r`))
      .toMatchObject({ code: "SESSION_NOT_FOUND" });
    expect(await r(sql`select love.admin_session_revoke(${clerk.id}, ${a.session_id}::uuid, 'x') as r`)).toMatchObject({ revoked: true });
    expect(await r(sql`select love.admin_session_revoke(${boss.id}, ${b.session_id}::uuid, 'x') as r`)).toMatchObject({ revoked: true });
    expect((await r(sql`select love.admin_sessions_list(${clerk.id}, false) as r`)).sessions).toEqual([]);
    expect(await r(sql`select love.admin_session(${a.session_id}::uuid, ${clerk.id}) as r`)).toBeNull();
  });
});

describe("Q5: every PL/pgSQL function of the sign-in migration actually executes", () => {
  it("has run each one at least once in this file", async () => {
    const { functions, notRun } = await plpgsqlRun(db, (name) => SIGN_IN_FUNCTIONS.includes(name));
    expect(functions.length).toBeGreaterThanOrEqual(10);
    expect(notRun).toEqual([]);
  });
});
