/**
 * Established state (RFC 4271 §8.2.2, "Established state"): UPDATE,
 * KEEPALIVE and NOTIFICATION flow; every way out deletes the session's routes
 * (the `session-down` action).
 *
 * Deviations: an OPEN (19, 20, 22) on this connection is an unexpected message
 * (RFC 6608 subcode 3) because collisions with an Established session are
 * settled by `detectCollision` across connections; a header error (21) is
 * answered with its own Message Header Error (§6.1) rather than an FSM Error.
 *
 * The events Established handles as OpenSent and OpenConfirm do are in
 * `after-open.ts`.
 */
import { handledWithSession, toIdleUnexpected } from "./after-open.js";
import { NotifyFsmSubcode } from "./notification.js";
import type { Draft } from "./transitions.js";
import { restartHold, toIdle } from "./transitions.js";
import type { FsmEvent } from "./types.js";

/** Handles one event in Established. */
export function established<U>(d: Draft<U>, e: FsmEvent<U>): void {
  if (handledWithSession(d, e)) return;
  switch (e.type) {
    case "NotifMsgVerErr":
      toIdle(d, { count: true, damp: true, received: e.notification });
      return;
    case "KeepAliveMsg":
      restartHold(d);
      return;
    case "UpdateMsg":
      d.actions.push({ type: "process-update", update: e.update });
      restartHold(d);
      return;
    case "UpdateMsgErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    default:
      // Events 9, 12, 13, 19, 20, 22: FSM Error (RFC 6608 subcode 3).
      toIdleUnexpected(d, NotifyFsmSubcode.UnexpectedMessageInEstablished);
      return;
  }
}
