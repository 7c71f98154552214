/**
 * Idle state (RFC 4271 §8.2.2, "Idle state"): no resources, refuses
 * connections; start events move to Connect or Active. With
 * DampPeerOscillations (§8.1.1), events 6, 7 and 13 restart only once the
 * IdleHoldTimer has run out.
 */

import type { Draft } from "./transitions.js";
import { start } from "./transitions.js";
import type { FsmEvent } from "./types.js";

/** Handles one event in Idle. */
export function idle<U>(d: Draft<U>, e: FsmEvent<U>): void {
  const f = d.fsm;
  switch (e.type) {
    case "ManualStart":
      // An operator's start cancels any back-off in progress.
      f.idleHoldTime = f.config.idleHoldTime;
      start(d, false);
      return;
    case "ManualStart_with_PassiveTcpEstablishment":
      f.idleHoldTime = f.config.idleHoldTime;
      start(d, true);
      return;
    case "AutomaticStart":
      start(d, false);
      return;
    case "AutomaticStart_with_PassiveTcpEstablishment":
      start(d, true);
      return;
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      // While the IdleHoldTimer runs, the start waits for it (event 13).
      if (f.timers.idleHold === undefined) {
        start(d, e.type !== "AutomaticStart_with_DampPeerOscillations");
      }
      return;
    case "IdleHoldTimer_Expires":
      // The automatic restart after a failure (§8.1.1 AllowAutomaticStart).
      start(d, f.config.passive);
      return;
    case "ManualStop":
      // RFC 4271 ignores ManualStop in Idle; we also cancel a pending
      // automatic restart, so that a stopped peer stays stopped.
      delete f.timers.idleHold;
      f.connectRetryCounter = 0;
      return;
    default:
      // "Any other event (Events 9-12, 15-28) received in the Idle state does
      // not cause change in the state of the local system."
      return;
  }
}
