// Alert-driven rollback (optional, off by default): Alertmanager's webhook → a guarded rollback request.
// Guards, in order: enabled at all; kill switch off; a firing alert we act on (High5xxErrorRate) for our stack;
// not an alert already handled (fingerprint + startsAt, so a re-notification never triggers twice but a new incident
// of the same alert can); a deploy within the last N minutes (an old release going bad is not a bad release); no
// rollback requested within the cooldown.
// Payload (Alertmanager webhook, version 4): {version, status, receiver, groupKey, alerts: [{status, labels,
// annotations, startsAt, endsAt, fingerprint}], ...}.

export interface AlertmanagerAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  fingerprint: string;
}

export interface AlertmanagerPayload {
  version: string;
  status: string;
  alerts: AlertmanagerAlert[];
}

export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStringMap = (value: unknown): value is Record<string, string> => isRecord(value) && Object.values(value).every((v) => typeof v === "string");

export function parsePayload(body: unknown): AlertmanagerPayload {
  if (!isRecord(body)) throw new PayloadError("the body is not a JSON object");
  if (body.version !== "4") throw new PayloadError(`unsupported webhook version ${JSON.stringify(body.version)} (expected "4")`);
  if (!Array.isArray(body.alerts)) throw new PayloadError("alerts is not a list");
  const alerts = body.alerts.map((alert, index): AlertmanagerAlert => {
    if (!isRecord(alert)) throw new PayloadError(`alerts[${index}] is not an object`);
    const { status, labels, annotations, startsAt, fingerprint } = alert;
    if (status !== "firing" && status !== "resolved") throw new PayloadError(`alerts[${index}].status is ${JSON.stringify(status)}`);
    if (!isStringMap(labels)) throw new PayloadError(`alerts[${index}].labels is not a map of strings`);
    if (typeof startsAt !== "string" || typeof fingerprint !== "string" || fingerprint === "") {
      throw new PayloadError(`alerts[${index}] lacks startsAt or fingerprint`);
    }
    return { status, labels, annotations: isStringMap(annotations) ? annotations : {}, startsAt, fingerprint };
  });
  return { version: "4", status: typeof body.status === "string" ? body.status : "", alerts };
}

export interface ReceiverPolicy {
  /** Off by default: nothing happens unless this is true. */
  enabled: boolean;
  stack: string;
  alertNames: readonly string[];
  /** Only act within this long after the last deploy. */
  deployWindowMs: number;
  /** At most one rollback request per cooldown. */
  cooldownMs: number;
}

export const DEFAULT_POLICY: Omit<ReceiverPolicy, "enabled" | "stack"> = {
  alertNames: ["High5xxErrorRate"],
  deployWindowMs: 30 * 60_000,
  cooldownMs: 60 * 60_000,
};

export interface ReceiverState {
  /** Alerts already acted on (or covered by a cooldown), as `<fingerprint>@<startsAt>`. */
  handled: string[];
  lastRequestAt?: string;
}

export interface RollbackRequest {
  stack: string;
  reason: string;
  alerts: string[];
}

export interface ReceiverDeps {
  now(): Date;
  /** True stops everything (checked on every alert, so it can be flipped without a restart). */
  killSwitch(): boolean | Promise<boolean>;
  /** When the stack was last updated; undefined when unknown. */
  lastDeployAt(): Promise<Date | undefined>;
  requestRollback(request: RollbackRequest): Promise<void>;
  /** Keeps `handled` and the cooldown across restarts; default in memory. */
  store?: { load(): Promise<ReceiverState | undefined>; save(state: ReceiverState): Promise<void> };
}

export type Decision = { action: "rollback"; reason: string; error?: string } | { action: "ignore"; reason: string };

const MAX_HANDLED = 500;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export class AlertRollbackGuard {
  private state: ReceiverState | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly policy: ReceiverPolicy,
    private readonly deps: ReceiverDeps,
  ) {}

  /** Decisions are taken one at a time, so two deliveries of one alert cannot both pass the guards. */
  handle(payload: AlertmanagerPayload): Promise<Decision> {
    const next = this.queue.then(() => this.decide(payload));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<ReceiverState> {
    this.state ??= (await this.deps.store?.load()) ?? { handled: [] };
    return this.state;
  }

  private async save(state: ReceiverState): Promise<void> {
    state.handled = state.handled.slice(-MAX_HANDLED);
    await this.deps.store?.save(state);
  }

  private async decide(payload: AlertmanagerPayload): Promise<Decision> {
    const { policy } = this;
    if (!policy.enabled) return { action: "ignore", reason: "automatic rollback is disabled" };
    if (await this.deps.killSwitch()) return { action: "ignore", reason: "the kill switch is on" };

    const relevant = payload.alerts.filter(
      (alert) =>
        alert.status === "firing" &&
        policy.alertNames.includes(alert.labels.alertname ?? "") &&
        (alert.labels.stack === undefined || alert.labels.stack === policy.stack),
    );
    if (relevant.length === 0) return { action: "ignore", reason: `no firing ${policy.alertNames.join("/")} alert for ${policy.stack}` };

    const state = await this.load();
    const keys = relevant.map((alert) => `${alert.fingerprint}@${alert.startsAt}`);
    const fresh = keys.filter((key) => !state.handled.includes(key));
    if (fresh.length === 0) return { action: "ignore", reason: `already handled: ${keys.join(", ")}` };

    const now = this.deps.now();
    let deployedAt: Date | undefined;
    try {
      deployedAt = await this.deps.lastDeployAt();
    } catch (error) {
      return { action: "ignore", reason: `cannot tell when ${policy.stack} was last deployed: ${(error as Error).message}` };
    }
    if (!deployedAt) return { action: "ignore", reason: `no deploy of ${policy.stack} is known, so this is not a bad release` };
    const sinceDeploy = now.getTime() - deployedAt.getTime();
    if (sinceDeploy > policy.deployWindowMs) {
      return { action: "ignore", reason: `the last deploy was ${minutes(sinceDeploy)} ago, outside the ${minutes(policy.deployWindowMs)} window` };
    }
    if (state.lastRequestAt) {
      const sinceRequest = now.getTime() - new Date(state.lastRequestAt).getTime();
      if (sinceRequest < policy.cooldownMs) {
        state.handled.push(...fresh);
        await this.save(state);
        return { action: "ignore", reason: `a rollback was requested ${minutes(sinceRequest)} ago (cooldown ${minutes(policy.cooldownMs)})` };
      }
    }

    state.handled.push(...fresh);
    state.lastRequestAt = now.toISOString();
    await this.save(state);
    const alert = relevant[0] as AlertmanagerAlert;
    const reason =
      `${alert.labels.alertname} firing since ${alert.startsAt}, ${minutes(sinceDeploy)} after the last deploy` +
      (alert.annotations.summary ? `: ${alert.annotations.summary}` : "");
    try {
      await this.deps.requestRollback({ stack: policy.stack, reason, alerts: fresh });
      return { action: "rollback", reason };
    } catch (error) {
      return { action: "rollback", reason, error: (error as Error).message };
    }
  }
}
