// Why a session is not up, in the words an operator reads in BIRD's log
// ("Bad peer AS: configured 64513, received 64512"), and what a session
// negotiated (hold and keepalive times). Pure: from a peer's status.
import type { SpeakerConfig } from "../speaker/config.js";
import type { PeerStatus } from "../speaker/session.js";
import type { SessionInfo } from "../speaker/session-types.js";
import { ErrorCode, notificationText, OpenSubcode } from "../wire/constants.js";

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
    const name = notificationText(code, subcode);
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.BadPeerAs) {
      // reason from the FSM's OPEN check (fsm/open.ts): "peer AS 64512, expected 64513"
      const m = /peer AS (\d+), expected (\S+)/.exec(e.reason ?? "");
      if (m) {
        const want = m[2] === "internal" ? `internal (${local.asn})` : m[2];
        return `Bad peer AS: configured ${want}, received ${m[1]}`;
      }
      return `Bad peer AS: ${e.reason ?? `configured ${p.asn}`}`;
    }
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.BadBgpIdentifier)
      return `Bad BGP identifier: ${e.reason ?? "refused"} (ours ${local.routerId})`;
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.UnacceptableHoldTime)
      return `Unacceptable hold time: ${e.reason ?? "refused"} (RFC 4271 §6.2: 0 or at least 3 s)`;
    const msg = e.sent.message ? ` "${e.sent.message}"` : "";
    return `${name}${e.reason ? `: ${e.reason}` : ""}${msg}`;
  }
  if (e.received) {
    const { code, subcode } = e.received;
    const name = notificationText(code, subcode);
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.BadPeerAs)
      return `Received: Bad peer AS: the peer does not accept our AS ${local.asn} (configure ${local.asn} for us there, or set localAsn here)`;
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.BadBgpIdentifier)
      return `Received: Bad BGP identifier: the peer refuses our router id ${local.routerId} (the same as its own, or not the one it expects?)`;
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.UnsupportedCapability)
      return "Received: Unsupported capability: the peer requires a capability we do not advertise (RFC 5492 §3; its log names it)";
    if (code === ErrorCode.OpenMessage && subcode === OpenSubcode.UnacceptableHoldTime)
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
