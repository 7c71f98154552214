// Why a session is not up, in the words an operator reads in BIRD's log
// ("Bad peer AS: configured 64513, received 64512"), and what a session
// negotiated (hold and keepalive times). Pure: from a peer's status.
import type { SpeakerConfig } from "../speaker/config.js";
import type { PeerStatus } from "../speaker/session.js";
import type { SessionInfo } from "../speaker/session-types.js";

/** RFC 4271 §4.5 error codes and their subcodes (§6.1–§6.6; RFC 5492 §3, RFC 9234 §4.2, RFC 7313 §5). */
const ERRORS: Record<number, { name: string; sub: Record<number, string> }> = {
  1: {
    name: "Message header error",
    sub: { 1: "Connection not synchronized", 2: "Bad message length", 3: "Bad message type" },
  },
  2: {
    name: "OPEN message error",
    sub: {
      1: "Unsupported version number",
      2: "Bad peer AS",
      3: "Bad BGP identifier",
      4: "Unsupported optional parameter",
      6: "Unacceptable hold time",
      7: "Unsupported capability",
      11: "Role mismatch",
    },
  },
  3: {
    name: "UPDATE message error",
    sub: {
      1: "Malformed attribute list",
      2: "Unrecognized well-known attribute",
      3: "Missing well-known attribute",
      4: "Attribute flags error",
      5: "Attribute length error",
      6: "Invalid ORIGIN attribute",
      8: "Invalid NEXT_HOP attribute",
      9: "Optional attribute error",
      10: "Invalid network field",
      11: "Malformed AS_PATH",
    },
  },
  4: { name: "Hold timer expired", sub: {} },
  5: { name: "Finite state machine error", sub: {} },
  6: {
    name: "Cease",
    sub: {
      1: "Maximum number of prefixes reached",
      2: "Administrative shutdown",
      3: "Peer de-configured",
      4: "Administrative reset",
      5: "Connection rejected",
      6: "Other configuration change",
      7: "Connection collision resolution",
      8: "Out of resources",
      9: "Hard reset",
      10: "BFD down",
    },
  },
  7: { name: "ROUTE-REFRESH message error", sub: { 1: "Invalid message length" } },
};

/** The name of a NOTIFICATION's code and subcode ("Bad peer AS", "Hold timer expired"). */
export function notificationName(code: number, subcode: number): string {
  const e = ERRORS[code];
  if (!e) return `error code ${code}, subcode ${subcode}`;
  if (subcode === 0 || Object.keys(e.sub).length === 0) return e.name;
  return e.sub[subcode] ?? `${e.name}, subcode ${subcode}`;
}

/** What we know of the local side of a peer's session. */
export interface LocalSide {
  /** Our AS on this session (the peer's `localAsn`, else the speaker's). */
  readonly asn: number;
  /** Our BGP identifier. */
  readonly routerId: string;
  /** The hold time we propose (seconds). */
  readonly holdTime: number;
}

/**
 * Why the peer's last attempt failed, as one line, or undefined when the
 * last failure was none of the OPEN errors operators chase (AS, identifier,
 * capability, hold time, version) and no NOTIFICATION names it.
 *
 *   sent Bad Peer AS       "Bad peer AS: configured 64513, received 64512"
 *   received Bad Peer AS   "Received: Bad peer AS: the peer does not accept our AS 64512"
 */
export function diagnoseError(p: PeerStatus, local: LocalSide): string | undefined {
  const e = p.lastError;
  if (!e) return undefined;
  if (e.sent) {
    const { code, subcode } = e.sent;
    const name = notificationName(code, subcode);
    if (code === 2 && subcode === 2) {
      // reason from the FSM's OPEN check (fsm/open.ts): "peer AS 64512, expected 64513"
      const m = /peer AS (\d+), expected (\S+)/.exec(e.reason ?? "");
      if (m) {
        const want = m[2] === "internal" ? `internal (${local.asn})` : m[2];
        return `Bad peer AS: configured ${want}, received ${m[1]}`;
      }
      return `Bad peer AS: ${e.reason ?? `configured ${p.asn}`}`;
    }
    if (code === 2 && subcode === 3)
      return `Bad BGP identifier: ${e.reason ?? "refused"} (ours ${local.routerId})`;
    if (code === 2 && subcode === 6)
      return `Unacceptable hold time: ${e.reason ?? "refused"} (RFC 4271 §6.2: 0 or at least 3 s)`;
    const msg = e.sent.message ? ` "${e.sent.message}"` : "";
    return `${name}${e.reason ? `: ${e.reason}` : ""}${msg}`;
  }
  if (e.received) {
    const { code, subcode } = e.received;
    const name = notificationName(code, subcode);
    if (code === 2 && subcode === 2)
      return `Received: Bad peer AS: the peer does not accept our AS ${local.asn} (configure ${local.asn} for us there, or set localAsn here)`;
    if (code === 2 && subcode === 3)
      return `Received: Bad BGP identifier: the peer refuses our router id ${local.routerId} (the same as its own, or not the one it expects?)`;
    if (code === 2 && subcode === 7)
      return "Received: Unsupported capability: the peer requires a capability we do not advertise (RFC 5492 §3; its log names it)";
    if (code === 2 && subcode === 6)
      return `Received: Unacceptable hold time: the peer refuses our hold time ${local.holdTime} s`;
    const msg = e.received.message ? ` "${e.received.message}"` : "";
    return `Received: ${name}${msg}`;
  }
  return undefined;
}

/**
 * The timers of an Established session: the negotiated hold time is the
 * smaller of both proposals (RFC 4271 §4.2), so a value below ours is the
 * peer's; the keepalive is what we send at.
 */
export function describeTimers(
  s: Pick<SessionInfo, "holdTime" | "keepaliveTime">,
  local: LocalSide,
): string {
  const hold =
    s.holdTime === 0
      ? "hold time 0 (no keepalives, RFC 4271 §4.4)"
      : s.holdTime < local.holdTime
        ? `hold time ${s.holdTime} s (the peer's; we proposed ${local.holdTime} s)`
        : `hold time ${s.holdTime} s (ours; the peer proposed ${s.holdTime === local.holdTime ? "as much or more" : "more"})`;
  return s.holdTime === 0 ? hold : `${hold}, keepalive ${s.keepaliveTime} s`;
}

/** Our side of a peer's session, from the running configuration. */
export function localSide(
  config: SpeakerConfig,
  peer: PeerStatus | undefined,
  address: string,
): LocalSide {
  const p = config.peers.find((c) => c.address === address);
  return {
    asn: peer?.localAsn ?? p?.localAsn ?? config.asn,
    routerId: config.routerId,
    holdTime: p?.holdTime ?? 90,
  };
}

/**
 * One line on a peer for status: its timers when Established; otherwise the
 * latest noted cause (`notes`: e.g. an unanswered connect) or the cause of
 * its last failure.
 */
export function peerInfo(
  p: PeerStatus,
  config: SpeakerConfig,
  notes?: ReadonlyMap<string, string>,
): string | undefined {
  const local = localSide(config, p, p.address);
  if (p.state === "Established" && p.session) return describeTimers(p.session, local);
  return notes?.get(p.address) ?? diagnoseError(p, local);
}
