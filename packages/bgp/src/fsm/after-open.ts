/**
 * The events OpenSent, OpenConfirm and Established handle alike (RFC 4271
 * §8.2.2): once our OPEN is out, the three states' tables agree on starts and
 * TCP events (ignored), stops, the HoldTimer, a collision dump, a
 * NOTIFICATION and a header error; OpenConfirm and Established also agree on
 * the KeepaliveTimer and a lost connection. Each state handles the rest
 * itself, and names its own RFC 6608 subcode for an unexpected event.
 */
import { cease, holdTimerExpired, NotifyCeaseSubcode } from "./notification.js";
import type { Draft } from "./transitions.js";
import { restartKeepalive, toIdle } from "./transitions.js";
import type { FsmEvent } from "./types.js";
import { unexpectedEvent } from "./unexpected.js";

/**
 * Handles `e` if OpenSent, OpenConfirm and Established treat it alike.
 * @returns true when it did (the draft holds the outcome), false otherwise.
 */
export function handledAfterOpen<U>(d: Draft<U>, e: FsmEvent<U>): boolean {
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
      // Ignored; a second connection is the edge's companion FSM.
      return true;
    case "ManualStop":
      toIdle(d, {
        manual: true,
        notify: e.notification ?? cease(NotifyCeaseSubcode.AdministrativeShutdown),
      });
      return true;
    case "AutomaticStop":
      toIdle(d, { count: true, damp: true, notify: e.notification ?? cease() });
      return true;
    case "HoldTimer_Expires":
      toIdle(d, { count: true, damp: true, notify: holdTimerExpired() });
      return true;
    case "OpenCollisionDump":
      toIdle(d, {
        count: true,
        damp: true,
        notify: cease(NotifyCeaseSubcode.ConnectionCollisionResolution),
      });
      return true;
    case "NotifMsg":
      toIdle(d, { count: true, damp: true, received: e.notification });
      return true;
    case "BGPHeaderErr":
      toIdle(d, { count: true, damp: true, notify: e.notification });
      return true;
    default:
      return false;
  }
}

/**
 * Handles `e` if OpenConfirm and Established treat it alike: every event of
 * {@link handledAfterOpen}, the KeepaliveTimer (send a KEEPALIVE, restart it)
 * and TcpConnectionFails (to Idle, counted and damped).
 * @returns true when it did (the draft holds the outcome), false otherwise.
 */
export function handledWithSession<U>(d: Draft<U>, e: FsmEvent<U>): boolean {
  if (handledAfterOpen(d, e)) return true;
  switch (e.type) {
    case "KeepaliveTimer_Expires":
      d.actions.push({ type: "send-keepalive" });
      restartKeepalive(d);
      return true;
    case "TcpConnectionFails":
      toIdle(d, { count: true, damp: true });
      return true;
    default:
      return false;
  }
}

/**
 * An event the state does not expect: to Idle, counted and damped, with an
 * FSM Error whose RFC 6608 subcode names the state (`stateSubcode`) when the
 * event is a message (RFC 4271 §6.6).
 */
export function toIdleUnexpected<U>(d: Draft<U>, stateSubcode: number): void {
  toIdle(d, { count: true, damp: true, notify: unexpectedEvent(d.event, stateSubcode) });
}
