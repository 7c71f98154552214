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
 */
import { cease, holdTimerExpired, NotifyCeaseSubcode, NotifyFsmSubcode } from "./notification.js";
import { validateOpen } from "./open.js";
import type { Draft } from "./transitions.js";
import {
  arm,
  disarm,
  enter,
  openConfirm,
  restartHold,
  restartKeepalive,
  toIdle,
} from "./transitions.js";
import type { FsmEvent } from "./types.js";
import { unexpectedEvent } from "./unexpected.js";

/** Handles one event in OpenSent. */
export function openSent<U>(d: Draft<U>, e: FsmEvent<U>): void {
  const f = d.fsm;
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
      return; // ignored; a second connection is the edge's companion FSM
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
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    case "OpenCollisionDump":
      toIdle(d, {
        count: true,
        damp: true,
        notify: cease(NotifyCeaseSubcode.ConnectionCollisionResolution),
      });
      return;
    case "NotifMsgVerErr":
      toIdle(d, { received: e.notification });
      return;
    case "NotifMsg":
      toIdle(d, { count: true, damp: true, received: e.notification });
      return;
    default:
      // Events 9, 11–13, 20, 26–28: FSM Error (RFC 6608 subcode 1).
      toIdle(d, {
        count: true,
        damp: true,
        notify: unexpectedEvent(d.event, NotifyFsmSubcode.UnexpectedMessageInOpenSent),
      });
      return;
  }
}

/** Handles one event in OpenConfirm. */
export function openConfirmState<U>(d: Draft<U>, e: FsmEvent<U>): void {
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
    case "TcpConnectionFails":
      toIdle(d, { count: true, damp: true });
      return;
    case "NotifMsg":
      toIdle(d, { count: true, damp: true, received: e.notification });
      return;
    case "NotifMsgVerErr":
      toIdle(d, { received: e.notification });
      return;
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return;
    case "OpenCollisionDump":
      toIdle(d, {
        count: true,
        damp: true,
        notify: cease(NotifyCeaseSubcode.ConnectionCollisionResolution),
      });
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
      toIdle(d, {
        count: true,
        damp: true,
        notify: unexpectedEvent(d.event, NotifyFsmSubcode.UnexpectedMessageInOpenConfirm),
      });
      return;
  }
}
