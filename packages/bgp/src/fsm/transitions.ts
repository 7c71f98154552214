/**
 * The procedures RFC 4271 §8.2.2 repeats across states — "changes its state
 * to Idle" with its many variations, starting a connection, sending OPEN,
 * entering OpenConfirm — applied to a mutable draft of the next snapshot.
 * Internal to the reducer; `step` freezes nothing but returns new objects.
 */
import { timerDuration } from "./jitter.js";
import type { NotificationDescriptor } from "./notification.js";
import type { NegotiatedSession } from "./open.js";
import type {
  ConnectionDirection,
  Fsm,
  FsmAction,
  FsmEventName,
  SessionError,
  SessionState,
  TimerName,
} from "./types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A next snapshot under construction, and the actions so far. */
export interface Draft<U> {
  /** The snapshot being built. */
  readonly fsm: Mutable<Fsm> & { timers: { [K in TimerName]?: number } };
  /** The state the step started in. */
  readonly from: SessionState;
  /** The event being processed (after normalisation). */
  readonly event: FsmEventName;
  /** The clock, ms. */
  readonly now: number;
  /** Actions so far. */
  readonly actions: FsmAction<U>[];
}

/** Starts a draft from a snapshot. */
export function draft<U>(fsm: Fsm, event: FsmEventName, now: number): Draft<U> {
  return { fsm: { ...fsm, timers: { ...fsm.timers } }, from: fsm.state, event, now, actions: [] };
}

/** Moves to `state`, recording when. */
export function enter<U>(d: Draft<U>, state: SessionState): void {
  if (d.fsm.state !== state) d.fsm.since = d.now;
  d.fsm.state = state;
}

/** Starts (or restarts) a timer for `seconds` (jittered per RFC 4271 §10 when configured). */
export function arm<U>(d: Draft<U>, timer: TimerName, seconds: number): void {
  d.fsm.timers[timer] = d.now + timerDuration(d.fsm.config, timer, seconds, d.now);
}

/** Stops a timer ("sets it to zero" in RFC 4271 wording). */
export function disarm<U>(d: Draft<U>, timer: TimerName): void {
  delete d.fsm.timers[timer];
}

/** How a move to Idle is carried out; each flag is one clause of §8.2.2. */
export interface IdleOptions {
  /** NOTIFICATION to send first. */
  readonly notify?: NotificationDescriptor;
  /** NOTIFICATION that caused this (received from the peer). */
  readonly received?: NotificationDescriptor;
  /** Extra explanation for `lastError`. */
  readonly reason?: string;
  /** "increments the ConnectRetryCounter by 1". */
  readonly count?: boolean;
  /** "performs peer oscillation damping": double the IdleHoldTime afterwards. */
  readonly damp?: boolean;
  /** ManualStop: counter to zero, no automatic restart, not an error. */
  readonly manual?: boolean;
}

/**
 * The move to Idle (RFC 4271 §8.2.2, every state): optionally send a
 * NOTIFICATION, stop all timers ("sets the ConnectRetryTimer to zero", ...),
 * delete the routes of an Established session, release resources, drop the
 * TCP connection, count, and — unless stopped manually — arm the
 * IdleHoldTimer for the automatic restart (§8.1.1 AllowAutomaticStart,
 * IdleHoldTime), doubling it when damping (DampPeerOscillations).
 */
export function toIdle<U>(d: Draft<U>, o: IdleOptions): void {
  const f = d.fsm;
  const error: SessionError = {
    event: d.event,
    state: d.from,
    at: d.now,
    ...(o.notify ? { sent: o.notify } : {}),
    ...(o.received ? { received: o.received } : {}),
    ...(o.reason ? { reason: o.reason } : {}),
  };
  if (o.notify) d.actions.push({ type: "send-notification", notification: o.notify });
  if (d.from === "Established") d.actions.push({ type: "session-down", reason: error });
  d.actions.push({ type: "release" }, { type: "drop" });

  const stableFor = f.establishedAt === undefined ? 0 : d.now - f.establishedAt;
  f.timers = {};
  delete f.connection;
  delete f.session;
  delete f.establishedAt;
  if (o.manual) {
    f.connectRetryCounter = 0;
  } else {
    f.lastError = error;
    if (o.count) f.connectRetryCounter += 1;
    const c = f.config;
    if (d.from === "Established" && stableFor >= c.idleHoldResetTime * 1000) {
      f.idleHoldTime = c.idleHoldTime;
    }
    if (c.allowAutomaticStart) {
      arm(d, "idleHold", f.idleHoldTime);
      if (o.damp && c.dampPeerOscillations) {
        f.idleHoldTime = Math.min(f.idleHoldTime * 2, c.maxIdleHoldTime);
      }
    }
  }
  enter(d, "Idle");
}

/**
 * Idle → Connect or Active (RFC 4271 §8.2.2, Idle state, events 1 and 3–7):
 * ConnectRetryCounter to zero, ConnectRetryTimer started, and either a TCP
 * connection initiated (Connect) or only listening (Active).
 */
export function start<U>(d: Draft<U>, passive: boolean): void {
  d.fsm.connectRetryCounter = 0;
  d.fsm.timers = {};
  arm(d, "connectRetry", d.fsm.config.connectRetryTime);
  if (passive || d.fsm.config.passive) {
    enter(d, "Active");
  } else {
    d.actions.push({ type: "connect" });
    enter(d, "Connect");
  }
}

/**
 * A TCP connection completed in Connect or Active (events 16/17): with
 * DelayOpen, wait for the peer's OPEN; otherwise send ours and go to OpenSent.
 */
export function connected<U>(d: Draft<U>, direction: ConnectionDirection): void {
  d.fsm.connection = direction;
  disarm(d, "connectRetry");
  if (d.fsm.config.delayOpen) {
    arm(d, "delayOpen", d.fsm.config.delayOpenTime);
  } else {
    sendOpen(d);
  }
}

/**
 * Sends our OPEN and waits for the peer's with the HoldTimer set to "a large
 * value" (RFC 4271 §8.2.2 suggests 4 minutes): → OpenSent.
 */
export function sendOpen<U>(d: Draft<U>): void {
  disarm(d, "connectRetry");
  disarm(d, "delayOpen");
  d.actions.push({ type: "send-open" });
  arm(d, "hold", d.fsm.config.openHoldTime);
  enter(d, "OpenSent");
}

/**
 * A valid OPEN was received (OpenSent event 19, or Connect/Active event 20):
 * send KEEPALIVE, run HoldTimer and KeepaliveTimer on the negotiated values
 * unless the hold time is 0 (RFC 4271 §8.2.2, §4.4) → OpenConfirm.
 */
export function openConfirm<U>(d: Draft<U>, session: NegotiatedSession): void {
  disarm(d, "connectRetry");
  disarm(d, "delayOpen");
  d.fsm.session = session;
  d.actions.push({ type: "send-keepalive" });
  if (session.holdTime > 0) {
    arm(d, "hold", session.holdTime);
    arm(d, "keepalive", session.keepaliveTime);
  } else {
    disarm(d, "hold");
    disarm(d, "keepalive");
  }
  enter(d, "OpenConfirm");
}

/** Restarts the HoldTimer on a received KEEPALIVE or UPDATE, unless the hold time is 0. */
export function restartHold<U>(d: Draft<U>): void {
  const hold = d.fsm.session?.holdTime ?? 0;
  if (hold > 0) arm(d, "hold", hold);
}

/** Restarts the KeepaliveTimer after we sent a KEEPALIVE or UPDATE, unless the hold time is 0. */
export function restartKeepalive<U>(d: Draft<U>): void {
  const ka = d.fsm.session?.keepaliveTime ?? 0;
  if ((d.fsm.session?.holdTime ?? 0) > 0 && ka > 0) arm(d, "keepalive", ka);
}
