// The alert-driven rollback guard and its HTTP endpoint.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AlertRollbackGuard, DEFAULT_POLICY, parsePayload, type AlertmanagerPayload, type ReceiverState, type RollbackRequest } from "./alert-receiver.ts";
import { createReceiverServer } from "./alert-receiver-server.ts";

const DEPLOYED_AT = new Date("2025-11-25T10:00:00Z");

function alert(overrides: Partial<{ status: string; alertname: string; fingerprint: string; startsAt: string; stack: string }> = {}) {
  return {
    status: overrides.status ?? "firing",
    labels: { alertname: overrides.alertname ?? "High5xxErrorRate", severity: "critical", ...(overrides.stack ? { stack: overrides.stack } : {}) },
    annotations: { summary: "CRITICAL: 5xx error rate exceeds 2% (R < 0.98)" },
    startsAt: overrides.startsAt ?? "2025-11-25T10:06:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus/graph",
    fingerprint: overrides.fingerprint ?? "a1b2c3d4e5f60718",
  };
}

function payload(...alerts: ReturnType<typeof alert>[]): AlertmanagerPayload {
  return parsePayload({ version: "4", groupKey: "{}:{alertname=\"High5xxErrorRate\"}", status: "firing", receiver: "webhook", alerts, truncatedAlerts: 0 });
}

function setup(options: { enabled?: boolean; kill?: boolean; deployedAt?: Date | Error; store?: { state?: ReceiverState } } = {}) {
  let now = new Date("2025-11-25T10:10:00Z");
  let kill = options.kill ?? false;
  const requests: RollbackRequest[] = [];
  const store = options.store;
  const guard = new AlertRollbackGuard(
    { ...DEFAULT_POLICY, enabled: options.enabled ?? true, stack: "prod" },
    {
      now: () => now,
      killSwitch: () => kill,
      lastDeployAt: async () => {
        const value = "deployedAt" in options ? options.deployedAt : DEPLOYED_AT;
        if (value instanceof Error) throw value;
        return value;
      },
      requestRollback: async (request) => {
        requests.push(request);
      },
      ...(store ? { store: { load: async () => store.state, save: async (state) => void (store.state = structuredClone(state)) } } : {}),
    },
  );
  return {
    guard,
    requests,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    setKill: (value: boolean) => (kill = value),
  };
}

describe("alert-driven rollback guard", () => {
  it("requests one rollback for a firing High5xxErrorRate shortly after a deploy", async () => {
    const { guard, requests } = setup();
    const decision = await guard.handle(payload(alert()));
    expect(decision.action).toBe("rollback");
    expect(requests).toEqual([
      expect.objectContaining({ stack: "prod", alerts: ["a1b2c3d4e5f60718@2025-11-25T10:06:00Z"] }),
    ]);
    expect(requests[0]?.reason).toContain("High5xxErrorRate firing since 2025-11-25T10:06:00Z, 10 min after the last deploy");
  });

  it("does nothing when disabled (the default) or when the kill switch is on", async () => {
    const off = setup({ enabled: false });
    expect(await off.guard.handle(payload(alert()))).toEqual({ action: "ignore", reason: "automatic rollback is disabled" });
    const killed = setup({ kill: true });
    expect((await killed.guard.handle(payload(alert()))).reason).toBe("the kill switch is on");
    killed.setKill(false);
    expect((await killed.guard.handle(payload(alert()))).action).toBe("rollback");
    expect(off.requests).toEqual([]);
    expect(killed.requests).toHaveLength(1);
  });

  it("ignores resolved alerts, other alerts and other stacks", async () => {
    const { guard, requests } = setup();
    expect((await guard.handle(payload(alert({ status: "resolved" })))).action).toBe("ignore");
    expect((await guard.handle(payload(alert({ alertname: "NoHttpTraffic" })))).action).toBe("ignore");
    expect((await guard.handle(payload(alert({ stack: "staging" })))).action).toBe("ignore");
    expect(requests).toEqual([]);
  });

  it("acts only within the window after a deploy, and not when no deploy is known", async () => {
    const late = setup();
    late.advance(25 * 60_000); // 35 min after the deploy, window 30 min
    expect((await late.guard.handle(payload(alert()))).reason).toBe("the last deploy was 35 min ago, outside the 30 min window");
    const unknown = setup({ deployedAt: undefined });
    expect((await unknown.guard.handle(payload(alert()))).reason).toBe("no deploy of prod is known, so this is not a bad release");
    const unreadable = setup({ deployedAt: new Error("pulumi: not logged in") });
    expect((await unreadable.guard.handle(payload(alert()))).reason).toBe("cannot tell when prod was last deployed: pulumi: not logged in");
    expect([...late.requests, ...unknown.requests, ...unreadable.requests]).toEqual([]);
  });

  it("is idempotent on the alert fingerprint, concurrent deliveries included", async () => {
    const { guard, requests, advance } = setup();
    const decisions = await Promise.all([guard.handle(payload(alert())), guard.handle(payload(alert())), guard.handle(payload(alert()))]);
    expect(decisions.map((decision) => decision.action)).toEqual(["rollback", "ignore", "ignore"]);
    advance(2 * 60 * 60_000);
    expect((await guard.handle(payload(alert()))).reason).toMatch(/^already handled/);
    expect(requests).toHaveLength(1);
  });

  it("keeps a cooldown between rollback requests", async () => {
    const { guard, requests, advance } = setup({ deployedAt: new Date("2025-11-25T10:09:00Z") });
    expect((await guard.handle(payload(alert({ fingerprint: "f1" })))).action).toBe("rollback");
    advance(10 * 60_000);
    expect((await guard.handle(payload(alert({ fingerprint: "f2" })))).reason).toBe("a rollback was requested 10 min ago (cooldown 60 min)");
    expect(requests).toHaveLength(1);
  });

  it("remembers handled alerts across restarts through its store", async () => {
    const store: { state?: ReceiverState } = {};
    const first = setup({ store });
    expect((await first.guard.handle(payload(alert()))).action).toBe("rollback");
    const restarted = setup({ store });
    expect((await restarted.guard.handle(payload(alert()))).action).toBe("ignore");
    expect(restarted.requests).toEqual([]);
  });

  it("rejects payloads that are not Alertmanager webhooks", () => {
    expect(() => parsePayload({ version: "3", alerts: [] })).toThrow(/unsupported webhook version/);
    expect(() => parsePayload({ version: "4", alerts: [{ status: "firing", labels: {}, startsAt: "x" }] })).toThrow(/fingerprint/);
  });
});

describe("alert receiver endpoint", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("needs the bearer token, accepts POSTs of webhook payloads only, and answers the decision", async () => {
    const { guard, requests } = setup();
    const server = createReceiverServer({ guard, token: "receiver-token-1234" });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts/webhook`;
    const body = JSON.stringify({ version: "4", status: "firing", alerts: [alert()] });
    const post = (headers: Record<string, string>, text = body) => fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });

    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong-token-123" })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer receiver-token-1234" } })).status).toBe(405);
    expect((await post({ authorization: "Bearer receiver-token-1234" }, "{not json")).status).toBe(400);
    expect(requests).toEqual([]);

    const accepted = await post({ authorization: "Bearer receiver-token-1234" });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ action: "rollback" });
    const again = await post({ authorization: "Bearer receiver-token-1234" });
    expect(await again.json()).toMatchObject({ action: "ignore" });
    expect(requests).toHaveLength(1);
  });
});
