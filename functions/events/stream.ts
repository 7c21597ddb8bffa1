// GET /events/stream[?clinic=&user=] (contract row 16, §5). No auth header (EventSource cannot send one).
// - with `user`: the patient's queue_update notifications (all clinics, or `clinic` only) and staff notices;
// - with `clinic` only: that clinic's counters whenever they change;
// - with neither (App.jsx): heartbeats only.
// Every notification goes out twice: as a named `queue_update` event (event-bus, enhanced-api, PatientPage)
// and as an unnamed message (App.jsx's onmessage) with the same JSON.
import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { env } from "../_shared/env.ts";
import { getFailure } from "../_shared/outcomes.ts";
import {
  clinicSnapshot,
  lastNotificationId,
  notificationsAfter,
  patientPositions,
} from "../_shared/queue-repository.ts";
import { createSseStream, type SseMessage, sseResponse } from "../_shared/sse.ts";
import { parseClinic, parseUserKey } from "../_shared/validation.ts";
import { diffPositions } from "./notifications.ts";

function numberSetting(name: string, fallback: number, min: number): number {
  const value = Number(env(name));
  return Number.isFinite(value) && value >= min ? value : fallback;
}

/** Both forms of one notification. */
export function both(data: unknown, event = "queue_update"): SseMessage[] {
  return [{ event, data }, { data }];
}

export async function eventsStream({ request, params }: RequestContext): Promise<Response> {
  // AdminPage's api.connectSSE('admin') opens ?clinic=admin: no clinic, the stream of heartbeats (its figures come
  // by polling); a 404 there would make it reconnect every 5 s for as long as the page is open.
  const clinicParam = params.get("clinic") || null;
  const rawClinic = clinicParam?.trim().toLowerCase() === "admin" ? null : clinicParam;
  const rawUser = params.get("user") || params.get("patientId") || null;
  const clinicInput = rawClinic === null ? null : parseClinic(rawClinic);
  if (rawClinic !== null && clinicInput === null) return getFailure("INVALID_CLINIC");
  const user = rawUser === null ? null : parseUserKey(rawUser);
  if (rawUser !== null && user === null) return getFailure("INVALID_USER");

  let clinic: string | null = null;
  if (clinicInput !== null) {
    const snapshot = await clinicSnapshot(clinicInput, businessNow(request));
    if (snapshot === null) return getFailure("UNKNOWN_CLINIC");
    clinic = snapshot.clinic;
  }

  let positionsSent = new Map<string, string>();
  let lastNotice = 0;
  let lastClinicState = "";

  const collect = async (): Promise<SseMessage[]> => {
    const now = businessNow(request);
    const messages: SseMessage[] = [];
    if (user !== null) {
      const { notifications, next } = diffPositions(positionsSent, await patientPositions(user, clinic, now), now);
      positionsSent = next;
      for (const notification of notifications) messages.push(...both(notification));
      for (const notice of await notificationsAfter(user, lastNotice)) {
        lastNotice = Math.max(lastNotice, notice.id);
        messages.push(...both({ ...notice, type: "NOTICE", level: notice.type, timestamp: now }, "notice"));
      }
    } else if (clinic !== null) {
      const snapshot = await clinicSnapshot(clinic, now);
      const state = JSON.stringify(snapshot);
      if (snapshot !== null && state !== lastClinicState) {
        lastClinicState = state;
        messages.push(...both({ type: "QUEUE_UPDATE", ...snapshot, timestamp: now }));
      }
    }
    return messages;
  };

  const stream = createSseStream({
    open: async () => {
      if (user !== null) lastNotice = await lastNotificationId();
      const connected: SseMessage = {
        event: "connected",
        data: { type: "CONNECTED", status: "ok", timestamp: new Date().toISOString(), clinic, user },
      };
      return [connected, ...await collect()];
    },
    poll: collect,
  }, {
    signal: request.signal,
    pollMs: numberSetting("LOVE_SSE_POLL_MS", 2_000, 50),
    heartbeatMs: numberSetting("LOVE_SSE_HEARTBEAT_MS", 15_000, 50),
    maxLifetimeMs: numberSetting("LOVE_SSE_MAX_LIFETIME_MS", 110_000, 100),
    onError: (error) => console.error("events/stream:", error),
  });
  return sseResponse(stream);
}
