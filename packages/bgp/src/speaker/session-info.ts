// Pure conversions for a session's status: the status record of a peer, a
// NOTIFICATION as status shows it (with its RFC 9003 message), the last
// error, the negotiated session, addresses; and GTSM on an accepted socket.
import type { Socket } from "node:net";
import {
  type Fsm,
  formatBgpId,
  type NegotiatedSession,
  type NotificationDescriptor,
  type SessionError,
} from "../fsm/index.js";
import { CeaseSubcode, ErrorCode, notificationName } from "../wire/constants.js";
import type { PeerConfig } from "./config.js";
import { setMinTtl, setTtl } from "./libc.js";
import { familyName } from "./open-map.js";
import type {
  LastError,
  MessageCounters,
  NotificationInfo,
  PeerStatus,
  SessionInfo,
  SessionSettings,
} from "./session-types.js";

/** What a peer's status record is made of (see {@link peerStatus}). */
export interface PeerStatusInput {
  readonly peer: PeerConfig;
  readonly settings: SessionSettings;
  /** The peer's AS: learned from its OPEN, or configured. */
  readonly asn: PeerStatus["asn"];
  readonly localAsn: number;
  readonly fsm: Fsm;
  /** Now, on the session's monotonic clock. */
  readonly now: number;
  /** Wall clock minus the monotonic clock (ms). */
  readonly wallOffset: number;
  /** The open connection, if any. */
  readonly connection?: { readonly direction: "outgoing" | "incoming"; readonly socket: Socket };
  readonly negotiated?: NegotiatedSession;
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
  readonly prefixes: PeerStatus["prefixes"];
  readonly flaps: number;
  readonly internalErrors: number;
  readonly lastError?: LastError;
}

/** The status record of a peer. */
export function peerStatus(x: PeerStatusInput): PeerStatus {
  const f = x.fsm;
  const p = x.peer;
  const conn = x.connection;
  return {
    address: p.address,
    port: p.port,
    asn: x.asn,
    localAsn: x.localAsn,
    ...(p.description ? { description: p.description } : {}),
    dynamic: x.settings.dynamic,
    passive: p.passive || x.settings.dynamic,
    state: f.state,
    since: Math.round(f.since + x.wallOffset),
    ...(f.state === "Established" && f.establishedAt !== undefined
      ? { uptimeMs: Math.round(x.now - f.establishedAt) }
      : {}),
    ...(conn
      ? {
          connection: {
            direction: conn.direction,
            localAddress: normalise(conn.socket.localAddress ?? ""),
            localPort: conn.socket.localPort ?? 0,
            remotePort: conn.socket.remotePort ?? 0,
          },
        }
      : {}),
    ...(x.negotiated && f.state === "Established" ? { session: sessionInfo(x.negotiated) } : {}),
    messages: x.messages,
    prefixes: x.prefixes,
    connectRetryCounter: f.connectRetryCounter,
    flaps: x.flaps,
    internalErrors: x.internalErrors,
    ...(x.lastError ? { lastError: x.lastError } : {}),
  };
}

/** An FSM error as status shows it (`wallOffset`: wall clock minus the FSM's clock, ms). */
export function lastError(err: SessionError, wallOffset: number): LastError {
  return {
    event: err.event,
    state: err.state,
    at: Math.round(err.at + wallOffset),
    ...(err.reason ? { reason: err.reason } : {}),
    ...(err.sent ? { sent: notificationInfo(err.sent) } : {}),
    ...(err.received ? { received: notificationInfo(err.received) } : {}),
  };
}

/** A NOTIFICATION as status shows it. */
export function notificationInfo(n: NotificationDescriptor): NotificationInfo {
  let message: string | undefined;
  // RFC 9003 §2: Cease/Administrative Shutdown or Reset may carry a length-prefixed UTF-8 text.
  if (
    n.code === ErrorCode.Cease &&
    (n.subcode === CeaseSubcode.AdministrativeShutdown ||
      n.subcode === CeaseSubcode.AdministrativeReset) &&
    n.data.length > 0
  ) {
    const len = n.data[0]!;
    if (len + 1 <= n.data.length) message = new TextDecoder().decode(n.data.subarray(1, 1 + len));
  }
  return {
    code: n.code,
    subcode: n.subcode,
    ...(message !== undefined ? { message } : {}),
    text: notificationName(n.code, n.subcode),
  };
}

/** Strips the IPv4-mapped prefix that dual-stack sockets report. */
export function normalise(addr: string): string {
  return addr.startsWith("::ffff:") && addr.includes(".") ? addr.slice(7) : addr;
}

/** The negotiated session as status shows it. */
export function sessionInfo(s: NegotiatedSession): SessionInfo {
  const c = s.capabilities;
  return {
    peerAs: s.peerAs,
    peerRouterId: formatBgpId(s.peerBgpId),
    internal: s.internal,
    holdTime: s.holdTime,
    keepaliveTime: s.keepaliveTime,
    families: c.families.map(familyName),
    fourOctetAs: c.fourOctetAs,
    extendedMessage: c.extendedMessage,
    routeRefresh: c.routeRefresh,
    enhancedRouteRefresh: c.enhancedRouteRefresh,
    addPath: c.addPath.map((a) => ({ family: familyName(a), send: a.send, receive: a.receive })),
    gracefulRestart: c.gracefulRestart !== undefined,
    ...(c.peerFqdn ? { peerHostname: c.peerFqdn.hostname } : {}),
  };
}

/**
 * An accepted socket takes its peer's TTL settings, as BIRD's
 * `bgp_incoming_connection` does: the outgoing `ttl` (the listener sends 255
 * so that a GTSM peer's SYN-ACK passes) and, for GTSM, the minimum incoming
 * TTL `minTtl` below which segments are dropped (RFC 5082 §3).
 */
export function applyTtl(socket: Socket, ttl: number, minTtl?: number): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return;
  const family = normalise(socket.remoteAddress ?? "").includes(":") ? 6 : 4;
  try {
    setTtl(fd, family, ttl);
    if (minTtl !== undefined) setMinTtl(fd, family, minTtl);
  } catch {
    // the socket may already be closed
  }
}
