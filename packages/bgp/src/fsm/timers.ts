/**
 * Timers at the edge (RFC 4271 §8, §10). The FSM runs no timers: each running
 * timer is a deadline (ms) in the snapshot. After every step the edge asks
 * {@link nextDeadline} and arms one real timer for it; when it fires, the edge
 * calls {@link fireDue} with the current time. Tests do the same with made-up
 * clock values, so no test waits on real time.
 *
 * ```
 *   edge                                    pure core
 *   ────                                    ─────────
 *   socket/message ── event ──────────────► step(fsm, event, now)
 *   setTimeout(at − now) ◄── nextDeadline(fsm)
 *   timeout fires ── fireDue(fsm, now) ───► step(fsm, X_Expires, now) …
 * ```
 */
import { timerDuration } from "./jitter.js";
import { step, TIMER_OF_EVENT } from "./step.js";
import type {
  Fsm,
  FsmAction,
  FsmEventName,
  PlainEventName,
  StepResult,
  TimerName,
} from "./types.js";

/** The event each timer raises when it expires (RFC 4271 §8.1.3). */
export const EVENT_OF_TIMER: Readonly<Record<TimerName, PlainEventName>> = {
  connectRetry: "ConnectRetryTimer_Expires",
  hold: "HoldTimer_Expires",
  keepalive: "KeepaliveTimer_Expires",
  delayOpen: "DelayOpenTimer_Expires",
  idleHold: "IdleHoldTimer_Expires",
};

/** The earliest running timer. */
export interface Deadline {
  /** Which timer. */
  readonly timer: TimerName;
  /** The event to deliver when it expires. */
  readonly event: PlainEventName;
  /** When, ms on the caller's clock. */
  readonly at: number;
}

/**
 * The earliest running timer, or undefined when none runs. Ties go to the
 * timer listed first in {@link EVENT_OF_TIMER}.
 */
export function nextDeadline(fsm: Fsm): Deadline | undefined {
  let best: Deadline | undefined;
  for (const timer of Object.keys(EVENT_OF_TIMER) as TimerName[]) {
    const at = fsm.timers[timer];
    if (at !== undefined && (best === undefined || at < best.at)) {
      best = { timer, event: EVENT_OF_TIMER[timer], at };
    }
  }
  return best;
}

/**
 * Delivers every timer event due at `now` (deadline ≤ now), earliest first,
 * and returns the final snapshot with all actions. A timer re-armed by its own
 * expiry lies in the future, so this terminates.
 */
export function fireDue<U = unknown>(fsm: Fsm, now: number): StepResult<U> {
  const actions: FsmAction<U>[] = [];
  let state = fsm;
  for (let due = nextDeadline(state); due !== undefined && due.at <= now; ) {
    const r = step<U>(state, { type: due.event }, now);
    actions.push(...r.actions);
    state = r.state;
    const next = nextDeadline(state);
    // Guard against a deadline that did not move (cannot happen with positive timer values).
    if (next && next.timer === due.timer && next.at === due.at) break;
    due = next;
  }
  return { state, actions };
}

/**
 * Records that we sent an UPDATE at `now`: "each time the local system sends
 * a KEEPALIVE or UPDATE message, it restarts its KeepaliveTimer, unless the
 * negotiated HoldTime value is zero" (RFC 4271 §8.2.2, Established). Not an
 * RFC event, so not part of `step`. Returns the snapshot unchanged outside
 * Established.
 */
export function updateSent(fsm: Fsm, now: number): Fsm {
  const s = fsm.session;
  if (fsm.state !== "Established" || !s || s.holdTime === 0 || s.keepaliveTime === 0) return fsm;
  const at = now + timerDuration(fsm.config, "keepalive", s.keepaliveTime, now);
  return { ...fsm, timers: { ...fsm.timers, keepalive: at } };
}

/** Exposed for tests and tooling: the timer an event belongs to, if it is a timer event. */
export function timerOfEvent(event: FsmEventName): TimerName | undefined {
  return TIMER_OF_EVENT[event];
}
