// Pure conversions for a session's status: a NOTIFICATION as status shows
// it (with its RFC 9003 message), the negotiated session, addresses; and
// GTSM on an accepted socket.
import type { Socket } from "node:net";
import { formatBgpId, type NegotiatedSession, type NotificationDescriptor } from "../fsm/index.js";
import { CeaseSubcode, ErrorCode, notificationName } from "../wire/constants.js";
import { setMinTtl } from "./libc.js";
import { familyName } from "./open-map.js";
import type { NotificationInfo, SessionInfo } from "./session-types.js";

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

/** GTSM on an accepted socket: drop segments with TTL below `minTtl` (RFC 5082 §3). */
export function applyMinTtl(socket: Socket, minTtl: number): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return;
  try {
    setMinTtl(fd, normalise(socket.remoteAddress ?? "").includes(":") ? 6 : 4, minTtl);
  } catch {
    // the socket may already be closed
  }
}
