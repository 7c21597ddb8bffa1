// The Alertmanager part of the proof: ready, and answering its status API.
import type { ProofContext } from "./context.ts";
import { describeError, getJson } from "./http.ts";

export async function proveAlertmanager(context: ProofContext, alertmanager: string): Promise<void> {
  const { log, evidence, timeoutMs } = context;
  try {
    const ready = await fetch(`${alertmanager}/-/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await ready.body?.cancel();
    if (!ready.ok) throw new Error(`GET /-/ready answered HTTP ${ready.status}`);
    const status = (await getJson(`${alertmanager}/api/v2/status`, timeoutMs)) as {
      versionInfo?: { version?: string };
      cluster?: { status?: string };
      uptime?: string;
    };
    await evidence.saveJson("alertmanager-status.json", status);
    log.pass(
      "alertmanager",
      "alertmanager-reachable",
      `Alertmanager ${status.versionInfo?.version ?? "?"} ready at ${alertmanager} (cluster ${status.cluster?.status ?? "?"}, up since ${status.uptime ?? "?"})`,
    );
  } catch (error) {
    log.fail("alertmanager", "alertmanager-reachable", `Alertmanager at ${alertmanager} is unreachable: ${describeError(error)}`);
    return;
  }
  try {
    await evidence.saveJson("alertmanager-alerts.json", await getJson(`${alertmanager}/api/v2/alerts`, timeoutMs));
  } catch {
    // Evidence only: the status answer above already proves Alertmanager works.
  }
}
