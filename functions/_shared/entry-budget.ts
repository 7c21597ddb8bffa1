// Budgets for new queue tickets (issue 15, H3): how many live tickets nobody has looked at yet (no position
// read since they were taken) one client address may hold in a clinic, and a clinic may hold over all
// addresses. The unchanged frontend polls its position right after taking a ticket, so real patients (even
// many behind one shared address) never count for long; a script that only enters is stopped. Settings:
// LOVE_UNSEEN_ENTRIES_PER_ADDRESS and LOVE_UNSEEN_ENTRIES_PER_CLINIC (0 turns one off). Enforced in SQL
// (love.queue_enter), under the clinic-day counter lock.
import { integerSetting } from "./env.ts";

export interface EntryBudget {
  unseenPerAddress: number;
  unseenPerClinic: number;
}

export const ENTRY_BUDGET_DEFAULTS: EntryBudget = { unseenPerAddress: 5, unseenPerClinic: 50 };

const MAX_SETTING = 100_000;

const setting = (name: string, fallback: number) => integerSetting(name, fallback, 0, MAX_SETTING);

export function entryBudget(): EntryBudget {
  return {
    unseenPerAddress: setting("LOVE_UNSEEN_ENTRIES_PER_ADDRESS", ENTRY_BUDGET_DEFAULTS.unseenPerAddress),
    unseenPerClinic: setting("LOVE_UNSEEN_ENTRIES_PER_CLINIC", ENTRY_BUDGET_DEFAULTS.unseenPerClinic),
  };
}
