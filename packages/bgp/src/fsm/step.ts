/**
 * The reducer: `step(fsm, event, now) → { state, actions }` (RFC 4271 §8.2.2).
 *
 * Pure: no sockets, no timers, no clock. Time enters only as `now` (ms on any
 * monotonic clock the caller chooses); running timers are deadlines in the
 * snapshot, and the edge asks `nextDeadline` when to deliver the matching
 * `*_Expires` event (see timers.ts). Tests therefore script time.
 *
 * Before dispatching on the state, `step` normalises two events as §8.1
 * defines them: BGPOpen (19) while the DelayOpenTimer runs is event 20 (and
 * event 20 without it is 19), and a
 * NOTIFICATION carrying a version error (NotifMsg, 25) is NotifMsgVerErr (24).
 * A timer event for a timer that is not running is stale (the edge raced a
 * cancellation) and changes nothing.
 */
import type { FsmOptions } from "./config.js";
import { resolveConfig } from "./config.js";
import { connectOrActive } from "./connect-active.js";
import { established } from "./established.js";
import { idle } from "./idle.js";
import { isVersionError } from "./notification.js";
import { openConfirmState, openSent } from "./open-states.js";
import { draft } from "./transitions.js";
import type { Fsm, FsmEvent, FsmEventName, StepResult, TimerName } from "./types.js";

/** The timer behind each timer event (RFC 4271 §8.1.3). */
export const TIMER_OF_EVENT: Readonly<Partial<Record<FsmEventName, TimerName>>> = {
  ConnectRetryTimer_Expires: "connectRetry",
  HoldTimer_Expires: "hold",
  KeepaliveTimer_Expires: "keepalive",
  DelayOpenTimer_Expires: "delayOpen",
  IdleHoldTimer_Expires: "idleHold",
};

/**
 * A new FSM in Idle (RFC 4271 §8.2.1: "Initially, the BGP peer FSM is in the
 * Idle state"), with no timers running. Start it with ManualStart.
 * @param now the clock, ms, recorded as the time Idle was entered.
 * @throws FsmConfigError on an invalid option.
 */
export function createFsm(options: FsmOptions, now = 0): Fsm {
  const config = resolveConfig(options);
  return {
    state: "Idle",
    config,
    connectRetryCounter: 0,
    timers: {},
    idleHoldTime: config.idleHoldTime,
    since: now,
  };
}

function normalise<U>(fsm: Fsm, event: FsmEvent<U>): FsmEvent<U> {
  const delayOpenRunning = fsm.timers.delayOpen !== undefined;
  if (event.type === "BGPOpen" && delayOpenRunning) {
    return { type: "BGPOpen_with_DelayOpenTimer_running", open: event.open };
  }
  if (event.type === "BGPOpen_with_DelayOpenTimer_running" && !delayOpenRunning) {
    return { type: "BGPOpen", open: event.open };
  }
  if (event.type === "NotifMsg" && isVersionError(event.notification)) {
    return { type: "NotifMsgVerErr", notification: event.notification };
  }
  return event;
}

/**
 * Applies one event at time `now` (ms) and returns the next snapshot with the
 * actions the edge must perform, in order. Never throws for any event in any
 * state; the input snapshot is not modified.
 */
export function step<U = unknown>(fsm: Fsm, event: FsmEvent<U>, now: number): StepResult<U> {
  const e = normalise(fsm, event);
  const timer = TIMER_OF_EVENT[e.type];
  if (timer !== undefined && fsm.timers[timer] === undefined) return { state: fsm, actions: [] };

  const d = draft<U>(fsm, e.type, now);
  if (timer !== undefined) delete d.fsm.timers[timer]; // it has expired
  switch (fsm.state) {
    case "Idle":
      idle(d, e);
      break;
    case "Connect":
    case "Active":
      connectOrActive(d, e);
      break;
    case "OpenSent":
      openSent(d, e);
      break;
    case "OpenConfirm":
      openConfirmState(d, e);
      break;
    case "Established":
      established(d, e);
      break;
  }
  return { state: d.fsm, actions: d.actions };
}
