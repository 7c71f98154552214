/**
 * Checking a received OPEN against our configuration and negotiating the
 * session parameters (RFC 4271 §4.2 and §6.2; RFC 6286 §2.2; RFC 6793 §4.1;
 * RFC 7607; RFC 9234 §4.2). Pure: returns the negotiated parameters, or the
 * NOTIFICATION to send.
 *
 * ```
 *  OPEN (RFC 4271 §4.2), after the 19-octet header:
 *  +-+-+-+-+-+-+-+-+
 *  |    Version    |   must be 4 ............ else subcode 1, data = 0x0004
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     My Autonomous System      |   or the 4-octet AS capability
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+      ......... else subcode 2
 *  |           Hold Time           |   0 or >= 3 . else subcode 6
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         BGP Identifier                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Opt Parm Len  |  Optional Parameters (capabilities, RFC 5492)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import type { CapabilitiesDescriptor, NegotiatedCapabilities } from "./capabilities.js";
import { negotiateCapabilities, rolesMatch } from "./capabilities.js";
import type { FsmConfig } from "./config.js";
import type { NotificationDescriptor } from "./notification.js";
import { NotifyOpenSubcode, openError } from "./notification.js";

/** The BGP version this speaker supports (RFC 4271 §4.2). */
export const BGP_VERSION = 4;

/** A received OPEN message as plain data; the speaker maps the codec's OPEN onto it. */
export interface OpenDescriptor {
  /** Version field. */
  readonly version: number;
  /** My Autonomous System field (2 octets; AS_TRANS for a 4-octet AS). */
  readonly myAs: number;
  /** Hold Time field, seconds. */
  readonly holdTime: number;
  /** BGP Identifier, unsigned 32-bit. */
  readonly bgpId: number;
  /** The capabilities the peer advertised. */
  readonly capabilities: CapabilitiesDescriptor;
}

/** The session parameters both OPENs agree on. */
export interface NegotiatedSession {
  /** The peer's AS: from the 4-octet AS capability when present, else My AS. */
  readonly peerAs: number;
  /** The peer's BGP Identifier. */
  readonly peerBgpId: number;
  /** iBGP: the peer is in our AS (RFC 4271 §8.2.2, "internal connection"). */
  readonly internal: boolean;
  /** Negotiated hold time, seconds: the smaller of both proposals (RFC 4271 §4.2). */
  readonly holdTime: number;
  /** Keepalive interval, seconds: 0 when hold time is 0, never above hold/3 (§4.4). */
  readonly keepaliveTime: number;
  /** Capabilities in use. */
  readonly capabilities: NegotiatedCapabilities;
  /** The peer's OPEN as received. */
  readonly peerOpen: OpenDescriptor;
}

/** The outcome of {@link validateOpen}. */
export type OpenValidation =
  | { readonly ok: true; readonly session: NegotiatedSession }
  | {
      readonly ok: false;
      /** The NOTIFICATION to send (OPEN Message Error). */
      readonly notification: NotificationDescriptor;
      /** A short human-readable explanation for logs and status. */
      readonly reason: string;
    };

function fail(subcode: number, reason: string, data?: Uint8Array): OpenValidation {
  return { ok: false, notification: openError(subcode, data), reason };
}

/**
 * The keepalive interval for a negotiated hold time (RFC 4271 §4.4 and §10):
 * the configured value, but never above a third of the hold time; 0 when the
 * hold time is 0. A configured 0 means "the default", a third.
 */
export function keepaliveFor(holdTime: number, configured?: number): number {
  if (holdTime === 0) return 0;
  const third = Math.max(1, Math.floor(holdTime / 3));
  return configured !== undefined && configured > 0 ? Math.min(configured, third) : third;
}

/**
 * Checks a received OPEN (RFC 4271 §6.2) and negotiates the session:
 * version 4; the peer AS (4-octet capability first, RFC 6793 §4.1; 0 is
 * invalid, RFC 7607 §3) against `config.peerAs`; hold time 0 or at least 3
 * (1 and 2 always rejected); a non-zero BGP Identifier that differs from ours
 * on iBGP and matches `config.peerBgpId` if set (RFC 6286 §2.2); BGP roles
 * (RFC 9234 §4.2).
 */
export function validateOpen(config: FsmConfig, open: OpenDescriptor): OpenValidation {
  if (open.version !== BGP_VERSION) {
    return fail(
      NotifyOpenSubcode.UnsupportedVersionNumber,
      `unsupported version ${open.version}`,
      Uint8Array.of(0, BGP_VERSION),
    );
  }

  const peerAs = open.capabilities.fourOctetAs ?? open.myAs;
  const internal = peerAs === config.localAs;
  if (peerAs === 0 || open.myAs === 0) return fail(NotifyOpenSubcode.BadPeerAs, "peer AS is 0");
  const want = config.peerAs;
  if (
    (typeof want === "number" && peerAs !== want) ||
    (want === "internal" && !internal) ||
    (want === "external" && internal)
  ) {
    return fail(NotifyOpenSubcode.BadPeerAs, `peer AS ${peerAs}, expected ${want}`);
  }

  const h = open.holdTime;
  if (
    h === 1 ||
    h === 2 ||
    (h === 0 && !config.allowZeroHoldTime) ||
    (h !== 0 && h < config.minHoldTime)
  ) {
    return fail(NotifyOpenSubcode.UnacceptableHoldTime, `unacceptable hold time ${h}`);
  }

  if (open.bgpId === 0) return fail(NotifyOpenSubcode.BadBgpIdentifier, "BGP identifier is 0");
  if (internal && open.bgpId >>> 0 === config.bgpId >>> 0) {
    return fail(NotifyOpenSubcode.BadBgpIdentifier, "iBGP peer uses our BGP identifier");
  }
  if (config.peerBgpId !== undefined && open.bgpId >>> 0 !== config.peerBgpId >>> 0) {
    return fail(NotifyOpenSubcode.BadBgpIdentifier, "BGP identifier differs from configured");
  }

  const localRole = config.capabilities.role;
  const peerRole = open.capabilities.role;
  if (localRole !== undefined) {
    if (peerRole === undefined ? config.strictRole : !rolesMatch(localRole, peerRole)) {
      return fail(
        NotifyOpenSubcode.RoleMismatch,
        peerRole === undefined ? "peer advertised no role (strict mode)" : "roles do not match",
      );
    }
  }

  const holdTime = Math.min(config.holdTime, h);
  return {
    ok: true,
    session: {
      peerAs,
      peerBgpId: open.bgpId >>> 0,
      internal,
      holdTime,
      keepaliveTime: keepaliveFor(holdTime, config.keepaliveTime),
      capabilities: negotiateCapabilities(config.capabilities, open.capabilities),
      peerOpen: open,
    },
  };
}
