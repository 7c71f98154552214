/**
 * OpenSent and OpenConfirm states (RFC 4271 §8.2.2). OpenSent has sent our
 * OPEN and waits for the peer's; OpenConfirm has both OPENs and waits for the
 * peer's KEEPALIVE.
 *
 * Each FSM runs one TCP connection. A second connection to the same peer
 * (events 14, 16, 17 here) is run by a companion FSM at the edge, and a
 * collision (§6.8) is settled by `detectCollision` and delivered as
 * OpenCollisionDump (23). So an OPEN arriving in OpenConfirm came on this very
 * connection and is an unexpected message (RFC 6608).
 *
 * Deviation: a NOTIFICATION received in OpenSent is not answered with an FSM
 * Error (the peer closes the connection after sending it, §4.5).
 *
 * The events both states handle as Established does are in `after-open.ts`.
 */
import { handledAfterOpen, handledWithSession, toIdleUnexpected } from "./after-open.js";
import { NotifyFsmSubcode } from "./notification.js";
import { validateOpen } from "./open.js";
import type { Draft } from "./transitions.js";
import { arm, disarm, enter, openConfirm, restartHold, toIdle } from "./transitions.js";
import type { FsmEvent } from "./types.js";

/** Handles one event in OpenSent. */
export function openSent<U>(d: Draft<U>, e: FsmEvent<U>): void {
  const f = d.fsm;
  if (handledAfterOpen(d, e)) return;
  switch (e.type) {
    case "TcpConnectionFails":
      // "closes the BGP connection, restarts the ConnectRetryTimer, continues
      // to listen for a connection ..., and changes its state to Active."
      d.actions.push({ type: "drop" });
      delete f.connection;
      disarm(d, "hold");
      arm(d, "connectRetry", f.config.connectRetryTime);
      enter(d, "Active");
      return;
    case "BGPOpen": {
      const v = validateOpen(f.config, e.open);
      if (!v.ok) {
        toIdle(d, { count: true, damp: true, notify: v.notification, reason: v.reason });
        return;
      }
      openConfirm(d, v.session);
      return;
    }
    case "BGPOpenMsgErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    case "NotifMsgVerErr":
      toIdle(d, { received: e.notification });
      return;
    default:
      // Events 9, 11–13, 20, 26–28: FSM Error (RFC 6608 subcode 1).
      toIdleUnexpected(d, NotifyFsmSubcode.UnexpectedMessageInOpenSent);
      return;
  }
}

/** Handles one event in OpenConfirm. */
export function openConfirmState<U>(d: Draft<U>, e: FsmEvent<U>): void {
  if (handledWithSession(d, e)) return;
  switch (e.type) {
    case "NotifMsgVerErr":
      toIdle(d, { received: e.notification });
      return;
    case "BGPOpenMsgErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    case "KeepAliveMsg": {
      restartHold(d);
      d.fsm.establishedAt = d.now;
      enter(d, "Established");
      const session = d.fsm.session;
      if (session) d.actions.push({ type: "session-up", session });
      return;
    }
    default:
      // Events 9, 12, 13, 19, 20, 27, 28: FSM Error (RFC 6608 subcode 2).
      toIdleUnexpected(d, NotifyFsmSubcode.UnexpectedMessageInOpenConfirm);
      return;
  }
}
