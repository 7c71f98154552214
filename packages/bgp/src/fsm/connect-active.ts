/**
 * Connect and Active states (RFC 4271 §8.2.2, "Connect state" and "Active
 * state"). Connect has a TCP connection attempt under way; Active only
 * listens. Both may hold a connection waiting for the DelayOpenTimer.
 *
 * Deviations, each noted at its line: a `passive` peer (§8.1.1
 * PassiveTcpEstablishment as a permanent option) never leaves Active to
 * connect; TcpConnectionFails in Active stops the ConnectRetryTimer instead of
 * restarting it, so that no timer but IdleHold runs in Idle.
 */
import { cease, NotifyCeaseSubcode } from "./notification.js";
import { validateOpen } from "./open.js";
import type { Draft } from "./transitions.js";
import { arm, connected, disarm, enter, openConfirm, toIdle } from "./transitions.js";
import type { FsmEvent } from "./types.js";

/** Handles one event in Connect or Active. */
export function connectOrActive<U>(d: Draft<U>, e: FsmEvent<U>): void {
  const f = d.fsm;
  const inConnect = f.state === "Connect";
  const delayOpenRunning = f.timers.delayOpen !== undefined;
  switch (e.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      return; // "ignored"

    case "ManualStop": {
      // Active: with the DelayOpenTimer running and SendNOTIFICATIONwithoutOPEN,
      // a Cease goes out first.
      const notify =
        !inConnect && delayOpenRunning && f.config.sendNotificationWithoutOpen
          ? (e.notification ?? cease(NotifyCeaseSubcode.AdministrativeShutdown))
          : undefined;
      toIdle(d, { manual: true, ...(notify ? { notify } : {}) });
      return;
    }

    case "ConnectRetryTimer_Expires":
      if (inConnect) {
        // Drop the attempt (or the connection waiting on DelayOpen) and retry.
        d.actions.push({ type: "drop" });
        delete f.connection;
        disarm(d, "delayOpen");
        arm(d, "connectRetry", f.config.connectRetryTime);
        d.actions.push({ type: "connect" });
        return;
      }
      arm(d, "connectRetry", f.config.connectRetryTime);
      // Deviation: a passive peer keeps listening instead of connecting.
      if (f.config.passive) return;
      d.actions.push({ type: "connect" });
      enter(d, "Connect");
      return;

    case "DelayOpenTimer_Expires":
      // Send our OPEN now; HoldTimer "large value" → OpenSent.
      disarm(d, "connectRetry");
      disarm(d, "delayOpen");
      d.actions.push({ type: "send-open" });
      arm(d, "hold", f.config.openHoldTime);
      enter(d, "OpenSent");
      return;

    case "TcpConnection_Valid":
      return; // "the TCP connection is processed"
    case "Tcp_CR_Invalid":
      d.actions.push({ type: "reject" });
      return;

    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // A second connection while one waits on DelayOpen is tracked by the
      // edge (see `connectionPolicy`), not by this FSM.
      if (f.connection !== undefined) return;
      connected(d, e.type === "Tcp_CR_Acked" ? "outgoing" : "incoming");
      return;

    case "TcpConnectionFails":
      if (delayOpenRunning) {
        // Connect and Active alike: back to listening, ConnectRetryTimer restarted.
        disarm(d, "delayOpen");
        delete f.connection;
        arm(d, "connectRetry", f.config.connectRetryTime);
        d.actions.push({ type: "drop" });
        enter(d, "Active");
        return;
      }
      // Connect: to Idle without counting; Active: counted, damped.
      toIdle(d, inConnect ? { damp: true } : { count: true, damp: true });
      return;

    case "BGPOpen_with_DelayOpenTimer_running": {
      const v = validateOpen(f.config, e.open);
      if (!v.ok) {
        toIdle(d, {
          count: true,
          damp: true,
          reason: v.reason,
          ...(f.config.sendNotificationWithoutOpen ? { notify: v.notification } : {}),
        });
        return;
      }
      // Send our OPEN and a KEEPALIVE at once → OpenConfirm.
      d.actions.push({ type: "send-open" });
      openConfirm(d, v.session);
      return;
    }

    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      toIdle(d, {
        count: true,
        damp: true,
        ...(f.config.sendNotificationWithoutOpen ? { notify: e.notification } : {}),
      });
      return;

    case "NotifMsgVerErr":
      toIdle(
        d,
        delayOpenRunning
          ? { received: e.notification }
          : { received: e.notification, count: true, damp: true },
      );
      return;

    default:
      // Events 8, 10, 11, 13, 19, 23, 25–28: give up the connection, count, damp.
      toIdle(d, {
        count: true,
        damp: true,
        ...(e.type === "NotifMsg" ? { received: e.notification } : {}),
      });
      return;
  }
}
