/**
 * Established state (RFC 4271 §8.2.2, "Established state"): UPDATE,
 * KEEPALIVE and NOTIFICATION flow; every way out deletes the session's routes
 * (the `session-down` action).
 *
 * Deviations: an OPEN (19, 20, 22) on this connection is an unexpected message
 * (RFC 6608 subcode 3) because collisions with an Established session are
 * settled by `detectCollision` across connections; a header error (21) is
 * answered with its own Message Header Error (§6.1) rather than an FSM Error.
 */
import { cease, holdTimerExpired, NotifyCeaseSubcode, NotifyFsmSubcode } from "./notification.js";
import type { Draft } from "./transitions.js";
import { restartHold, restartKeepalive, toIdle } from "./transitions.js";
import type { FsmEvent } from "./types.js";
import { unexpectedEvent } from "./unexpected.js";

/** Handles one event in Established. */
export function established<U>(d: Draft<U>, e: FsmEvent<U>): void {
  switch (e.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
    case "TcpConnection_Valid":
    case "Tcp_CR_Invalid":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return;
    case "ManualStop":
      toIdle(d, {
        manual: true,
        notify: e.notification ?? cease(NotifyCeaseSubcode.AdministrativeShutdown),
      });
      return;
    case "AutomaticStop":
      toIdle(d, { count: true, damp: true, notify: e.notification ?? cease() });
      return;
    case "HoldTimer_Expires":
      toIdle(d, { count: true, damp: true, notify: holdTimerExpired() });
      return;
    case "KeepaliveTimer_Expires":
      d.actions.push({ type: "send-keepalive" });
      restartKeepalive(d);
      return;
    case "OpenCollisionDump":
      toIdle(d, {
        count: true,
        damp: true,
        notify: cease(NotifyCeaseSubcode.ConnectionCollisionResolution),
      });
      return;
    case "TcpConnectionFails":
      toIdle(d, { count: true, damp: true });
      return;
    case "NotifMsg":
      toIdle(d, { count: true, damp: true, received: e.notification });
      return;
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
    case "BGPHeaderErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    default:
      // Events 9, 12, 13, 19, 20, 22: FSM Error (RFC 6608 subcode 3).
      toIdle(d, {
        count: true,
        damp: true,
        notify: unexpectedEvent(d.event, NotifyFsmSubcode.UnexpectedMessageInEstablished),
      });
      return;
  }
}
