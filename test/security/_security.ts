// Helpers for the attack suites: a stack set up as production is (entry budgets at their defaults), patients
// that behave as the unchanged frontend does (enter, then poll their position at once), and an attacker's
// invented ids in the frontend's own format (`<ms>-<random>`), each from the client address it is given.
import { expect } from "vitest";
import type postgres from "postgres";
import { ENTRY_BUDGET_DEFAULTS } from "../../functions/_shared/entry-budget.ts";
import type { StaffApi, StaffResponse } from "../staff/_staff.ts";

/** The entry budgets as a deployment has them (the test stacks turn them off unless a suite sets them). */
export const PRODUCTION_BUDGETS: Record<string, string> = {
  LOVE_UNSEEN_ENTRIES_PER_ADDRESS: String(ENTRY_BUDGET_DEFAULTS.unseenPerAddress),
  LOVE_UNSEEN_ENTRIES_PER_CLINIC: String(ENTRY_BUDGET_DEFAULTS.unseenPerClinic),
};

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

let invented = 0;
/** An id as the frontend's local login invents it: `${Date.now()}-${Math.random().toString(36).substr(2, 9)}`. */
export function inventedId(): string {
  invented++;
  return `${1_760_000_000_000 + invented}-${(invented * 7_919).toString(36).padStart(9, "0").slice(-9)}`;
}

export interface Visitor {
  user: string;
  client: string;
}

/** What PatientPage does for a clinic: queue/enter, then queue/position straight away. */
export async function enterAndPoll(api: StaffApi, clinic: string, visitor: Visitor, now?: string): Promise<StaffResponse> {
  const entered = await api.post("/queue/enter", { clinic, user: visitor.user, isAutoEntry: true }, { client: visitor.client, now });
  if (entered.body?.success) {
    const position = await api.get(`/queue/position?clinic=${clinic}&user=${visitor.user}`, { client: visitor.client, now });
    expect(position.body?.success, position.text).toBe(true);
  }
  return entered;
}

/** The PIN as staff read it from pin/status. */
export async function staffPin(api: StaffApi, token: string, clinic: string, now?: string): Promise<string> {
  const response = await api.get(`/pin/status?clinic=${clinic}`, { token, now });
  expect(response.body?.success, response.text).toBe(true);
  return response.body.currentPin as string;
}

/** A PIN of the same length that is not `pin`. */
export function otherPin(pin: string, step = 1): string {
  const space = 9 * 10 ** (pin.length - 1);
  const low = 10 ** (pin.length - 1);
  return String(((Number(pin) - low + step) % space + space) % space + low);
}

export async function entryStatus(sql: postgres.Sql, clinic: string, user: string): Promise<string[]> {
  const rows = await sql`select status from love.queue_entries where clinic_id = ${clinic} and patient_key = ${user} order by id`;
  return rows.map((row) => row.status as string);
}

/** An instant `minutes` (and `seconds`) after `start`. */
export function after(start: string, minutes: number, seconds = 0): string {
  return new Date(Date.parse(start) + minutes * 60_000 + seconds * 1_000).toISOString();
}
