import assert from "node:assert/strict";
import { type CountStore, WindowCounter } from "./rate-counter.ts";

/** A shared store as Postgres keeps it: totals per (key, window), added to by every isolate. */
function sharedStore() {
  const totals = new Map<string, number>();
  const calls: { keys: string[]; counts: number[] }[] = [];
  const store: CountStore = (keys, counts, windowStart) => {
    calls.push({ keys, counts });
    const result: Record<string, number> = {};
    keys.forEach((key, i) => {
      const id = `${windowStart.toISOString()} ${key}`;
      totals.set(id, (totals.get(id) ?? 0) + counts[i]!);
      result[key] = totals.get(id)!;
    });
    return Promise.resolve(result);
  };
  return { store, calls };
}

const MINUTE = Date.UTC(2030, 0, 1, 10, 0, 0);

Deno.test("one isolate counts exactly, per key, and batches its counts into one store call", async () => {
  const shared = sharedStore();
  const counter = new WindowCounter(shared.store, { flushMs: 60_000 });
  const totals = Array.from({ length: 5 }, () => counter.hit(["ip:a", "user:u"], MINUTE + 1_000).totals);
  assert.deepEqual(totals.map((t) => t[0]), [1, 2, 3, 4, 5]);
  assert.deepEqual(counter.hit(["ip:b"], MINUTE + 2_000).totals, [1]);
  await counter.flush();
  assert.equal(shared.calls.length, 1);
  assert.deepEqual(shared.calls[0], { keys: ["ip:a", "user:u", "ip:b"], counts: [5, 5, 1] });
  assert.deepEqual(counter.hit(["ip:a"], MINUTE + 3_000).totals, [6]);
});

Deno.test("isolates share totals after a flush; a new window starts from zero", async () => {
  const shared = sharedStore();
  const one = new WindowCounter(shared.store, { flushMs: 60_000 });
  const two = new WindowCounter(shared.store, { flushMs: 60_000 });
  for (let i = 0; i < 7; i++) one.hit(["ip:hall"], MINUTE + 1_000);
  for (let i = 0; i < 3; i++) two.hit(["ip:hall"], MINUTE + 1_000);
  await one.flush();
  await two.flush();
  // `two` learnt the shared total (10) from its flush; `one` learns it on its next flush.
  assert.deepEqual(two.hit(["ip:hall"], MINUTE + 2_000).totals, [11]);
  await one.flush();
  assert.deepEqual(one.hit(["ip:hall"], MINUTE + 2_000).totals, [8]);
  one.hit(["ip:hall"], MINUTE + 2_500);
  await one.flush();
  assert.deepEqual(one.hit(["ip:hall"], MINUTE + 3_000).totals, [11 + 1 + 1]);
  const { totals, windowEndsAt } = one.hit(["ip:hall"], MINUTE + 61_000);
  assert.deepEqual(totals, [1]);
  assert.equal(windowEndsAt, MINUTE + 120_000);
});

Deno.test("when the store fails, counts are kept for the next flush and the isolate still limits on its own", async () => {
  let failing = true;
  const shared = sharedStore();
  const errors: unknown[] = [];
  const counter = new WindowCounter((...args) => failing ? Promise.reject(new Error("out")) : shared.store(...args), {
    flushMs: 60_000,
    onStoreError: (error) => errors.push(error),
  });
  for (let i = 0; i < 4; i++) counter.hit(["ip:x"], MINUTE + 1_000);
  await counter.flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(counter.hit(["ip:x"], MINUTE + 1_500).totals, [5]);
  failing = false;
  await counter.flush();
  assert.deepEqual(shared.calls.at(-1), { keys: ["ip:x"], counts: [5] });
  assert.deepEqual(counter.hit(["ip:x"], MINUTE + 2_000).totals, [6]);
});
