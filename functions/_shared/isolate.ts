// This isolate: a short random id (metric lines of one isolate are told apart from another's, so a gauge can be
// summed over the live isolates of a function) and its shutdown. Supabase's edge runtime dispatches
// `beforeunload` before it retires a worker (wall clock, CPU, memory, early drop); whatever is registered here
// runs then, so held requests are answered instead of cut off.

export const ISOLATE_ID: string = crypto.randomUUID().slice(0, 8);

const onShutdown: (() => void)[] = [];
let listening = false;

export function whenShuttingDown(callback: () => void): void {
  onShutdown.push(callback);
  if (listening || typeof globalThis.addEventListener !== "function") return;
  listening = true;
  globalThis.addEventListener("beforeunload", () => {
    for (const run of onShutdown) {
      try {
        run();
      } catch {
        // one failing callback must not keep the others from running
      }
    }
  });
}
