// Graceful restart (RFC 4724), the pure part: what we advertise, whether a
// session that went down keeps its peer's routes as stale, and which stale
// routes go when the peer comes back. The stale paths and their deadline are
// the RIB's (`Rib.markStale`, `endOfRib`, `expireStale`); gr-helper.ts arms
// the timer that drives them. Pure: no I/O, no timers.
//
// Helper ("Receiving Speaker", RFC 4724 §4.2):
//
//   Established ──(TCP failure / hold timer, no NOTIFICATION received)──►
//     routes kept, marked stale; restart timer = peer's Restart Time
//   restart timer fires ─► stale routes withdrawn
//   peer back (OPEN): GR capability missing ─► all stale withdrawn;
//                     family without F bit  ─► that family's stale withdrawn
//   routes re-announced ─► no longer stale
//   End-of-RIB (family) or stale timer ─► remaining stale routes withdrawn
//
// Restarting speaker (RFC 4724 §4.1): our OPEN carries the capability with
// the R bit on the first session after a restart, the F bit per family when
// forwarding state was kept; the initial table is followed by End-of-RIB.
import type { GracefulRestartDescriptor, SessionError } from "../fsm/index.js";
import { CeaseSubcode, ErrorCode } from "../wire/constants.js";

/** Our graceful-restart settings for one session (from the configuration). */
export interface LocalGracefulRestart {
  /** Restart Time we advertise, seconds (0–4095, RFC 4724 §3). */
  readonly restartTime: number;
  /** Set the F bit for every family: our forwarding state survives a restart. */
  readonly forwardingPreserved: boolean;
  /** Longest time we keep a returning peer's stale routes waiting for its End-of-RIB, seconds. */
  readonly staleTime: number;
}

/** Restart Time is a 12-bit field (RFC 4724 §3). */
export const MAX_RESTART_TIME = 4095;

/**
 * Whether a session that ended with `reason` keeps the peer's routes as
 * stale (RFC 4724 §4.2): the peer advertised the capability, we did too
 * (`peer` is only set when both did), the session was not stopped by our
 * operator, and no NOTIFICATION ended it — except Hold Timer Expired, which
 * we send ourselves when the peer went silent (a dead process), and, when
 * both sides set the N bit, any NOTIFICATION but a Hard Reset (RFC 8538 §3).
 */
export function keepsRoutes(
  peer: GracefulRestartDescriptor | undefined,
  reason: SessionError,
  localNotification = false,
): boolean {
  if (!peer) return false;
  if (reason.event === "ManualStop" || reason.event === "AutomaticStop") return false;
  const n = reason.received ?? reason.sent;
  if (!n) return true;
  if (n.code === ErrorCode.Cease && n.subcode === CeaseSubcode.HardReset) return false;
  if (localNotification && peer.notification) return true;
  return reason.received === undefined && n.code === ErrorCode.HoldTimerExpired;
}

/**
 * The families whose stale routes must go at once when the peer comes back
 * with `reopened` (its new capability, or undefined when it no longer
 * advertises it): every family when the capability is gone, else each family
 * it does not list with the F bit (RFC 4724 §4.2).
 */
export function familiesToFlush(
  reopened: GracefulRestartDescriptor | undefined,
  families: readonly { afi: number; safi: number }[],
): { afi: number; safi: number }[] {
  if (!reopened) return [...families];
  return families.filter(
    (f) =>
      !reopened.families.some((g) => g.afi === f.afi && g.safi === f.safi && g.forwardingPreserved),
  );
}
