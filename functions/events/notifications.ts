// Turns the patient's positions into the stream's queue_update notifications (contract §5): one per clinic
// whenever its type (or, for POSITION_UPDATE, the number ahead) changes since the last one sent.
import type { PositionView } from "../_shared/queue-repository.ts";

export type NotificationType =
  | "YOUR_TURN"
  | "NEXT_IN_LINE"
  | "NEAR_TURN"
  | "ALMOST_READY"
  | "POSITION_UPDATE"
  | "IN_SERVICE"
  | "COMPLETED";

export interface QueueNotification {
  type: NotificationType;
  clinic: string;
  user: string;
  position: number;
  ahead: number;
  total: number;
  number: number;
  message: string;
  messageEn: string;
  timestamp: string;
}

export function notificationType(view: PositionView): NotificationType {
  if (view.status === "DONE") return "COMPLETED";
  if (view.status === "IN_SERVICE") return "IN_SERVICE";
  switch (view.ahead) {
    case 0:
      return "YOUR_TURN";
    case 1:
      return "NEXT_IN_LINE";
    case 2:
      return "NEAR_TURN";
    case 3:
      return "ALMOST_READY";
    default:
      return "POSITION_UPDATE";
  }
}

function messages(type: NotificationType, ahead: number): [string, string] {
  switch (type) {
    case "YOUR_TURN":
      return ["حان دورك! تفضل بالدخول إلى العيادة", "It's your turn! Please enter the clinic"];
    case "NEXT_IN_LINE":
      return ["أنت التالي في الدور", "You are next in line"];
    case "NEAR_TURN":
      return ["اقترب دورك", "Your turn is near"];
    case "ALMOST_READY":
      return ["استعد، دورك قريب", "Get ready, your turn is coming"];
    case "POSITION_UPDATE":
      return [`أمامك ${ahead} مراجعين`, `${ahead} people ahead of you`];
    case "IN_SERVICE":
      return ["أنت الآن داخل العيادة", "You are now being served"];
    case "COMPLETED":
      return ["تم إنهاء الفحص في هذه العيادة", "Examination completed at this clinic"];
  }
}

/** The notifications to send now, and the state to remember (per clinic) for the next call. */
export function diffPositions(
  previous: ReadonlyMap<string, string>,
  positions: readonly PositionView[],
  timestamp: string,
): { notifications: QueueNotification[]; next: Map<string, string> } {
  const next = new Map<string, string>();
  const notifications: QueueNotification[] = [];
  for (const view of positions) {
    const type = notificationType(view);
    const key = type === "POSITION_UPDATE" ? `${type}:${view.ahead}` : type;
    next.set(view.clinic, key);
    if (previous.get(view.clinic) === key) continue;
    const [message, messageEn] = messages(type, view.ahead);
    notifications.push({
      type,
      clinic: view.clinic,
      user: view.user,
      position: view.display_number,
      ahead: view.ahead,
      total: view.total_waiting,
      number: view.number,
      message,
      messageEn,
      timestamp,
    });
  }
  return { notifications, next };
}
