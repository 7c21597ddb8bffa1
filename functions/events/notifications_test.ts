import assert from "node:assert/strict";
import type { PositionView } from "../_shared/queue-repository.ts";
import { diffPositions, notificationType } from "./notifications.ts";

const view = (over: Partial<PositionView>): PositionView => ({
  clinic: "lab", user: "u1", number: 7, status: "WAITING", display_number: 4, ahead: 4, total_waiting: 9, ...over,
});

Deno.test("notification types follow the number ahead and the status", () => {
  assert.equal(notificationType(view({ ahead: 0, status: "NEXT" })), "YOUR_TURN");
  assert.equal(notificationType(view({ ahead: 1 })), "NEXT_IN_LINE");
  assert.equal(notificationType(view({ ahead: 2 })), "NEAR_TURN");
  assert.equal(notificationType(view({ ahead: 3 })), "ALMOST_READY");
  assert.equal(notificationType(view({ ahead: 9 })), "POSITION_UPDATE");
  assert.equal(notificationType(view({ status: "IN_SERVICE", ahead: 0 })), "IN_SERVICE");
  assert.equal(notificationType(view({ status: "DONE", ahead: 0 })), "COMPLETED");
});

Deno.test("a notification is sent only when the state changes, per clinic", () => {
  const t = "2030-01-01T00:00:00.000Z";
  const first = diffPositions(new Map(), [view({}), view({ clinic: "xr", ahead: 2, display_number: 2 })], t);
  assert.deepEqual(first.notifications.map((n) => [n.clinic, n.type]), [["lab", "POSITION_UPDATE"], ["xr", "NEAR_TURN"]]);
  assert.equal(first.notifications[0]!.messageEn, "4 people ahead of you");
  const same = diffPositions(first.next, [view({}), view({ clinic: "xr", ahead: 2, display_number: 2 })], t);
  assert.deepEqual(same.notifications, []);
  const moved = diffPositions(same.next, [view({ ahead: 3, display_number: 3 }), view({ clinic: "xr", ahead: 2 })], t);
  assert.deepEqual(moved.notifications.map((n) => [n.clinic, n.type, n.position]), [["lab", "ALMOST_READY", 3]]);
});
