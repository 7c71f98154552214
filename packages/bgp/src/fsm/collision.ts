/**
 * Connection collision detection (RFC 4271 §6.8; RFC 6286 §2.3) and the
 * second-connection policy around it.
 *
 * Each FSM runs one TCP connection. When a second connection to the same peer
 * appears, the edge asks {@link connectionPolicy} and, for "track", runs it in
 * a {@link companion} FSM. When an OPEN arrives on either, the edge asks
 * {@link detectCollision} and delivers OpenCollisionDump (event 23) to the
 * loser; if the original FSM lost, {@link promote} makes the companion the
 * peer's FSM, keeping the peer-wide back-off.
 *
 * ```
 *  local id > remote id  →  keep the connection WE opened      (outgoing)
 *  local id < remote id  →  keep the connection the PEER opened (incoming)
 *  equal ids (eBGP only, RFC 6286 §2.3) → the larger AS's connection wins
 * ```
 */
import { compareBgpIds } from "./bgp-id.js";
import type { OpenDescriptor } from "./open.js";
import { createFsm, step } from "./step.js";
import type { ConnectionDirection, Fsm, FsmAction, StepResult } from "./types.js";

/** One side of a collision: BGP Identifier and AS. */
export interface CollisionParty {
  /** BGP Identifier (unsigned 32-bit). */
  readonly bgpId: number;
  /** AS number (used only when the identifiers are equal). */
  readonly as: number;
}

/**
 * Which connection survives a collision (RFC 4271 §6.8 steps 1–3): the one
 * opened by the speaker with the higher BGP Identifier, compared as unsigned
 * 32-bit integers in host order. Equal identifiers (allowed between ASes by
 * RFC 6286 §2.3): the one opened by the speaker with the larger AS.
 */
export function collisionWinner(
  local: CollisionParty,
  remote: CollisionParty,
): ConnectionDirection {
  const c = compareBgpIds(local.bgpId, remote.bgpId);
  if (c !== 0) return c > 0 ? "outgoing" : "incoming";
  return local.as >>> 0 > remote.as >>> 0 ? "outgoing" : "incoming";
}

/** The outcome of {@link detectCollision}: which FSM receives OpenCollisionDump. */
export type CollisionOutcome = "none" | "dump-receiving" | "dump-other";

/**
 * An OPEN has arrived on the connection of `receiving`; `other` is the peer's
 * other FSM. Decides per RFC 4271 §6.8 whether they collide and which to close:
 *
 * - `other` in OpenConfirm, with the same peer BGP Identifier: collision, the
 *   rule of {@link collisionWinner} decides.
 * - `other` in OpenSent: only when the peer's identifier is known from
 *   configuration (`peerBgpId`) and matches ("MAY also examine ... OpenSent").
 * - `other` Established: the new connection is closed, unless
 *   CollisionDetectEstablishedState is set, then the rule decides.
 * - `other` in Idle, Connect or Active: no collision.
 *
 * When the rule would keep neither (both connections have the same direction),
 * the newer one — `receiving` — is closed.
 */
export function detectCollision(
  receiving: Fsm,
  other: Fsm,
  open: OpenDescriptor,
): CollisionOutcome {
  const id = open.bgpId >>> 0;
  const c = receiving.config;
  let candidate = false;
  switch (other.state) {
    case "OpenConfirm":
      candidate = other.session?.peerBgpId === id;
      break;
    case "OpenSent":
      candidate = c.peerBgpId !== undefined && c.peerBgpId >>> 0 === id;
      break;
    case "Established":
      if (other.session?.peerBgpId !== id) return "none";
      if (!c.collisionDetectEstablishedState) return "dump-receiving";
      candidate = true;
      break;
    default:
      return "none";
  }
  if (!candidate) return "none";
  const keep = collisionWinner(
    { bgpId: c.bgpId, as: c.localAs },
    { bgpId: id, as: open.capabilities.fourOctetAs ?? open.myAs },
  );
  if (receiving.connection === keep && other.connection !== keep) return "dump-other";
  return "dump-receiving";
}

/** What the edge does with a newly completed TCP connection to or from the peer. */
export type ConnectionPolicy =
  /** Deliver Tcp_CR_Acked / TcpConnectionConfirmed to this FSM. */
  | "use"
  /** Run it in a {@link companion} FSM until the collision is settled. */
  | "track"
  /** Close it: Idle refuses connections (§8.2.2), Established keeps its own (§6.8). */
  | "refuse";

/** Decides what to do with a new TCP connection for the peer of `fsm`. */
export function connectionPolicy(fsm: Fsm): ConnectionPolicy {
  switch (fsm.state) {
    case "Idle":
      return "refuse";
    case "Connect":
    case "Active":
      return fsm.connection === undefined ? "use" : "track";
    case "OpenSent":
    case "OpenConfirm":
      return "track";
    case "Established":
      return fsm.config.collisionDetectEstablishedState ? "track" : "refuse";
  }
}

/**
 * An FSM for a second connection of the same peer: same configuration, but
 * passive and without automatic restart, already holding the connection (in
 * OpenSent, or Active with DelayOpen). Discard it once it reaches Idle.
 */
export function companion<U = unknown>(
  main: Fsm,
  direction: ConnectionDirection,
  now: number,
): StepResult<U> {
  const f = createFsm({ ...main.config, passive: true, allowAutomaticStart: false }, now);
  const started = step<U>(f, { type: "AutomaticStart_with_PassiveTcpEstablishment" }, now);
  const joined = step<U>(
    started.state,
    { type: direction === "outgoing" ? "Tcp_CR_Acked" : "TcpConnectionConfirmed" },
    now,
  );
  const actions: FsmAction<U>[] = [...started.actions, ...joined.actions];
  return { state: joined.state, actions };
}

/**
 * Makes a companion that won a collision the peer's FSM: its connection and
 * state, with the original's configuration, ConnectRetryCounter and back-off.
 * Pass the original as it was before it received OpenCollisionDump.
 */
export function promote(winner: Fsm, original: Fsm): Fsm {
  return {
    ...winner,
    config: original.config,
    connectRetryCounter: original.connectRetryCounter,
    idleHoldTime: original.idleHoldTime,
  };
}
