import assert from "node:assert/strict";
import { ChangeWatcher } from "./change-watcher.ts";

const never = new AbortController().signal;
const soon = (ms: number) => Date.now() + ms;

function versions(initial: Record<string, number> = {}) {
  const state = { ...initial };
  const reads: string[][] = [];
  const read = (topics: string[]) => {
    reads.push([...topics].sort());
    return Promise.resolve(Object.fromEntries(topics.filter((t) => t in state).map((t) => [t, state[t]!])));
  };
  return { state, reads, read };
}

Deno.test("a waiter wakes when its topic moves past its baseline, not before; others keep waiting", async () => {
  const v = versions({ lab: 3, xr: 1 });
  const watcher = new ChangeWatcher(v.read, 10);
  const lab = watcher.wait("lab", 3, soon(5_000), never);
  const xr = watcher.wait("xr", 1, soon(5_000), never);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(watcher.waiting, 2);
  v.state.lab = 4;
  assert.deepEqual(await lab, { kind: "changed", version: 4 });
  assert.equal(watcher.waiting, 1);
  // One read covers every topic waited on.
  assert.ok(v.reads.some((topics) => topics.join() === "lab,xr"));
  watcher.releaseAll();
  assert.deepEqual(await xr, { kind: "shutdown" });
});

Deno.test("a topic never seen is version 0: a change from nothing wakes", async () => {
  const v = versions();
  const watcher = new ChangeWatcher(v.read, 10);
  const waiting = watcher.wait("bio", 0, soon(5_000), never);
  await new Promise((resolve) => setTimeout(resolve, 30));
  v.state.bio = 1;
  assert.deepEqual(await waiting, { kind: "changed", version: 1 });
});

Deno.test("a waiter ends at its deadline, and at once when its client aborts; nothing is read once nobody waits", async () => {
  const v = versions({ lab: 1 });
  const watcher = new ChangeWatcher(v.read, 10);
  const started = Date.now();
  assert.deepEqual(await watcher.wait("lab", 1, soon(80), never), { kind: "timeout" });
  assert.ok(Date.now() - started >= 70);

  const client = new AbortController();
  const held = watcher.wait("lab", 1, soon(10_000), client.signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const abortedAt = Date.now();
  client.abort();
  assert.deepEqual(await held, { kind: "aborted" });
  assert.ok(Date.now() - abortedAt < 50);
  assert.equal(watcher.waiting, 0);
  const readsThen = v.reads.length;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(v.reads.length, readsThen);
  // An already aborted signal never waits.
  assert.deepEqual(await watcher.wait("lab", 1, soon(10_000), AbortSignal.abort()), { kind: "aborted" });
});

Deno.test("a failing versions read keeps waiters waiting (their deadlines still end them) and is reported", async () => {
  const errors: unknown[] = [];
  let failing = true;
  const watcher = new ChangeWatcher(
    () => failing ? Promise.reject(new Error("database out")) : Promise.resolve({ lab: 9 }),
    10,
    (error) => errors.push(error),
  );
  const waiting = watcher.wait("lab", 1, soon(5_000), never);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(errors.length >= 1);
  assert.equal(watcher.waiting, 1);
  failing = false;
  assert.deepEqual(await waiting, { kind: "changed", version: 9 });
});
