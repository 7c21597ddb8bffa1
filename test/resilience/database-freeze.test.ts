// Postgres frozen mid-load (SIGSTOP on every one of its processes): requests must fail fast through the database
// breaker instead of hanging, the service must come back within 2 s of SIGCONT, and every acknowledged write
// must be in the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { descendants } from "../support/processes.ts";
import { startStack, type TestStack } from "../support/stack.ts";
import { percentile } from "../support/percentile.ts";

let stack: TestStack;
let sql: postgres.Sql;
let frozen: number[] = [];

beforeAll(async () => {
  stack = await startStack();
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  for (const pid of frozen) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Already gone.
    }
  }
  await sql?.end();
  await stack?.stop();
});

interface Outcome {
  kind: "enter" | "status";
  started: number;
  ms: number;
  status: number;
  body: any;
  user?: string;
}

const CLINIC = "lab";

describe("database frozen under load", () => {
  it("fails fast while frozen, recovers within 2 s, loses no acknowledged write", async () => {
    const outcomes: Outcome[] = [];
    let stop = false;
    let next = 0;
    const call = async (kind: Outcome["kind"]) => {
      const started = Date.now();
      const user = `freeze-${next++}`;
      const response = kind === "enter"
        ? await fetch(`${stack.baseUrl}/api/v1/queue/enter`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ clinic: CLINIC, user, isAutoEntry: false }),
        })
        : await fetch(`${stack.baseUrl}/api/v1/queue/status?clinic=${CLINIC}`);
      const body = await response.json().catch(() => undefined);
      outcomes.push({ kind, started, ms: Date.now() - started, status: response.status, body, user });
    };
    const client = async (kind: Outcome["kind"]) => {
      while (!stop) await call(kind);
    };
    const clients = [client("enter"), client("enter"), client("status"), client("status")];

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const postmaster = stack.stack.postgres.pid;
    frozen = [postmaster, ...descendants(postmaster)];
    const freezeAt = Date.now();
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const thawAt = Date.now();
    for (const pid of frozen) process.kill(pid, "SIGCONT");
    frozen = [];
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    stop = true;
    await Promise.all(clients);

    const duringFreeze = outcomes.filter((o) => o.started >= freezeAt && o.started < thawAt);
    expect(duringFreeze.length).toBeGreaterThan(20);
    // None hangs: the breaker answers at once, a probe waits at most its call timeout.
    expect(percentile(duringFreeze.map((o) => o.ms), 99)).toBeLessThan(1_000);
    expect(Math.max(...duringFreeze.map((o) => o.ms))).toBeLessThan(2_000);
    // Failures are the 503 envelope with Retry-After semantics, never a stack trace.
    const failed = duringFreeze.filter((o) => o.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) {
      expect(o.status).toBe(503);
      expect(o.body).toMatchObject({ success: false });
    }
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/circuit_breaker_transitions_total\{function="queue",dependency="database",from="closed",to="open"\} [1-9]/);

    // Back within 2 s of SIGCONT: from then on, every answer is a success.
    const afterThaw = outcomes.filter((o) => o.started >= thawAt + 2_000);
    expect(afterThaw.length).toBeGreaterThan(10);
    expect(afterThaw.filter((o) => o.status !== 200)).toEqual([]);

    // Every acknowledged ticket is in the database with its number.
    const acknowledged = outcomes.filter((o) => o.kind === "enter" && o.status === 200 && o.body?.success === true);
    expect(acknowledged.length).toBeGreaterThan(20);
    const rows = await sql<{ patient_key: string; number: number }[]>`
      select patient_key, number from love.queue_entries where clinic_id = ${CLINIC}`;
    const stored = new Map(rows.map((row) => [row.patient_key, row.number]));
    for (const o of acknowledged) expect(stored.get(o.user!), o.user).toBe(o.body.number);
  }, 60_000);
});
