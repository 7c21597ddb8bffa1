// The cache benchmark's clients, run on a worker thread: in the main thread they shared one event loop with the
// local gateway they measure, and that loop, not the backend, set the pace (the Node process at ~90% of a core,
// the second core half idle). Phones have their own CPUs; so do these clients now.
import { parentPort, Worker, workerData } from "node:worker_threads";

export interface PollingLoad {
  baseUrl: string;
  seconds: number;
  clients: number;
  clinics: string[];
  entersPerSecond: number;
}

export interface PollingResult {
  latencies: number[];
  errors: number;
}

/** Runs the load on its own thread and resolves with what it measured. */
export function runPollingClients(load: PollingLoad): Promise<PollingResult> {
  return new Promise((resolve, reject) => {
    // A worker does not inherit tsx's loader: it registers it, then loads this file.
    const entry = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(entry, { eval: true, workerData: load });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`polling clients exited with code ${code}`));
    });
  });
}

async function pollAndEnter({ baseUrl, seconds, clients, clinics, entersPerSecond }: PollingLoad): Promise<PollingResult> {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const poller = async () => {
    while (performance.now() < deadline) {
      const clinic = clinics[n++ % clinics.length]!;
      const started = performance.now();
      try {
        const response = await fetch(`${baseUrl}/api/v1/queue/status?clinic=${clinic}`);
        await response.text();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - started);
    }
  };
  const writer = async () => {
    let seq = 0;
    while (performance.now() < deadline) {
      const response = await fetch(`${baseUrl}/api/v1/queue/enter`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ clinic: clinics[n++ % clinics.length], user: `bench-${process.pid}-${Date.now()}-${seq++}` }),
      }).catch(() => undefined);
      await response?.text();
      if (response?.status !== 200) errors++;
      await new Promise((resolve) => setTimeout(resolve, 1000 / entersPerSecond));
    }
  };
  await Promise.all([...Array.from({ length: clients }, poller), writer()]);
  return { latencies, errors };
}

if (parentPort && workerData) parentPort.postMessage(await pollAndEnter(workerData as PollingLoad));
