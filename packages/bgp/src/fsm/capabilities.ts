/**
 * Capability negotiation (RFC 5492) as plain data: what each side advertised
 * in its OPEN, and what the session may use as a result.
 *
 * - Multiprotocol (RFC 4760 §8): the session carries the families both sides
 *   advertised. A side that advertises no Multiprotocol capability at all
 *   speaks IPv4 unicast only (RFC 4760 §1, RFC 4271).
 * - 4-octet AS (RFC 6793 §4): in use when both sides advertise it.
 * - ADD-PATH (RFC 7911 §5): per family, we may send path identifiers when we
 *   advertise Send and the peer Receive; we receive them in the reverse case.
 * - Extended message (RFC 8654 §3), route refresh (RFC 2918 §3), enhanced route
 *   refresh (RFC 7313 §3.1): in use when both sides advertise them.
 * - Extended next hop (RFC 8950 §3): the (NLRI family, next-hop AFI) tuples both
 *   sides advertised.
 * - Graceful restart (RFC 4724 §3): the peer's restart time, its Restart State
 *   bit and per-family Forwarding State bits, when both sides advertised it.
 * - BGP role (RFC 9234 §4.2): the pair of roles; see `validateOpen` for the
 *   mismatch check.
 */

/** An address family: AFI and SAFI (RFC 4760 §8). */
export interface AfiSafi {
  /** Address Family Identifier (IANA: 1 IPv4, 2 IPv6). */
  readonly afi: number;
  /** Subsequent AFI (IANA: 1 unicast, 2 multicast). */
  readonly safi: number;
}

/** ADD-PATH Send/Receive field (RFC 7911 §4). */
export type AddPathDirection = "receive" | "send" | "both";

/** One ADD-PATH capability tuple (RFC 7911 §4). */
export interface AddPathTuple extends AfiSafi {
  /** Whether the advertiser can receive, send, or both. */
  readonly mode: AddPathDirection;
}

/** One Extended Next Hop Encoding tuple (RFC 8950 §3). */
export interface ExtendedNextHopTuple extends AfiSafi {
  /** AFI of the next hop usable for this NLRI family. */
  readonly nextHopAfi: number;
}

/** The Graceful Restart capability (RFC 4724 §3; N bit from RFC 8538). */
export interface GracefulRestartDescriptor {
  /** Restart Time in seconds (12 bits). */
  readonly restartTime: number;
  /** The Restart State (R) bit: the sender has restarted. */
  readonly restarting: boolean;
  /** The N bit (RFC 8538): graceful restart also covers NOTIFICATIONs. */
  readonly notification?: boolean;
  /** Families with their Forwarding State (F) bit. */
  readonly families: readonly (AfiSafi & { readonly forwardingPreserved: boolean })[];
}

/** BGP roles (RFC 9234 §4.1). */
export const BgpRole = {
  Provider: 0,
  RouteServer: 1,
  RouteServerClient: 2,
  Customer: 3,
  Peer: 4,
} as const;
/** One of {@link BgpRole}'s values. */
export type BgpRole = (typeof BgpRole)[keyof typeof BgpRole];

/**
 * The capabilities one side advertised in its OPEN, as plain data. The speaker
 * maps the wire codec's capability list onto this; unknown capabilities do not
 * take part in negotiation and are left out.
 */
export interface CapabilitiesDescriptor {
  /** Multiprotocol Extensions (code 1), one entry per family; absent = none. */
  readonly multiprotocol?: readonly AfiSafi[];
  /** Route Refresh (code 2). */
  readonly routeRefresh?: boolean;
  /** Extended Next Hop Encoding (code 5). */
  readonly extendedNextHop?: readonly ExtendedNextHopTuple[];
  /** Extended Message (code 6). */
  readonly extendedMessage?: boolean;
  /** BGP Role (code 9). */
  readonly role?: number;
  /** Graceful Restart (code 64). */
  readonly gracefulRestart?: GracefulRestartDescriptor;
  /** Support for 4-octet AS numbers (code 65): the sender's AS. */
  readonly fourOctetAs?: number;
  /** ADD-PATH (code 69). */
  readonly addPath?: readonly AddPathTuple[];
  /** Enhanced Route Refresh (code 70). */
  readonly enhancedRouteRefresh?: boolean;
  /** FQDN (code 73, draft-walton-bgp-hostname-capability): host and domain name. */
  readonly fqdn?: { readonly hostname: string; readonly domain: string };
}

/** ADD-PATH in use for one family (RFC 7911 §5). */
export interface AddPathNegotiated extends AfiSafi {
  /** We may send path identifiers for this family. */
  readonly send: boolean;
  /** The peer sends path identifiers for this family; decode with them. */
  readonly receive: boolean;
}

/** What the session may use, the outcome of both OPENs (RFC 5492). */
export interface NegotiatedCapabilities {
  /** Families carried in both directions (intersection), in our order. */
  readonly families: readonly AfiSafi[];
  /** Both sides speak 4-octet AS numbers (RFC 6793). */
  readonly fourOctetAs: boolean;
  /** ADD-PATH per family where either direction is in use. */
  readonly addPath: readonly AddPathNegotiated[];
  /** Both sides accept messages up to 65,535 octets (RFC 8654). */
  readonly extendedMessage: boolean;
  /** We may send ROUTE-REFRESH: the peer advertised it (RFC 2918 §3). */
  readonly routeRefresh: boolean;
  /** Both sides advertised Enhanced Route Refresh (RFC 7313). */
  readonly enhancedRouteRefresh: boolean;
  /** (NLRI family, next-hop AFI) tuples both sides advertised (RFC 8950). */
  readonly extendedNextHop: readonly ExtendedNextHopTuple[];
  /** The peer's Graceful Restart parameters, when both sides advertised it. */
  readonly gracefulRestart?: GracefulRestartDescriptor;
  /** Local and peer BGP roles, when both advertised one (RFC 9234). */
  readonly role?: { readonly local: number; readonly peer: number };
  /** The peer's FQDN capability, passed through for display. */
  readonly peerFqdn?: { readonly hostname: string; readonly domain: string };
}

/** IPv4 unicast, the family of a peer that advertises no Multiprotocol capability. */
export const IPV4_UNICAST: AfiSafi = { afi: 1, safi: 1 };

function sameFamily(a: AfiSafi, b: AfiSafi): boolean {
  return a.afi === b.afi && a.safi === b.safi;
}

function familiesOf(c: CapabilitiesDescriptor): readonly AfiSafi[] {
  return c.multiprotocol && c.multiprotocol.length > 0 ? c.multiprotocol : [IPV4_UNICAST];
}

function canSend(mode: AddPathDirection | undefined): boolean {
  return mode === "send" || mode === "both";
}

function canReceive(mode: AddPathDirection | undefined): boolean {
  return mode === "receive" || mode === "both";
}

/**
 * Negotiates capabilities from what we advertised (`local`) and what the peer
 * advertised (`remote`). Pure; never fails — requirement checks belong to
 * `validateOpen`.
 */
export function negotiateCapabilities(
  local: CapabilitiesDescriptor,
  remote: CapabilitiesDescriptor,
): NegotiatedCapabilities {
  const remoteFamilies = familiesOf(remote);
  const families: AfiSafi[] = [];
  for (const f of familiesOf(local)) {
    if (remoteFamilies.some((r) => sameFamily(r, f)) && !families.some((x) => sameFamily(x, f))) {
      families.push({ afi: f.afi, safi: f.safi });
    }
  }

  const addPath: AddPathNegotiated[] = [];
  for (const f of families) {
    const ours = local.addPath?.find((t) => sameFamily(t, f))?.mode;
    const theirs = remote.addPath?.find((t) => sameFamily(t, f))?.mode;
    const send = canSend(ours) && canReceive(theirs);
    const receive = canReceive(ours) && canSend(theirs);
    if (send || receive) addPath.push({ afi: f.afi, safi: f.safi, send, receive });
  }

  const extendedNextHop = (local.extendedNextHop ?? []).filter((t) =>
    (remote.extendedNextHop ?? []).some((r) => sameFamily(r, t) && r.nextHopAfi === t.nextHopAfi),
  );

  const result: {
    -readonly [K in keyof NegotiatedCapabilities]: NegotiatedCapabilities[K];
  } = {
    families,
    fourOctetAs: local.fourOctetAs !== undefined && remote.fourOctetAs !== undefined,
    addPath,
    extendedMessage: local.extendedMessage === true && remote.extendedMessage === true,
    routeRefresh: remote.routeRefresh === true,
    enhancedRouteRefresh:
      local.enhancedRouteRefresh === true && remote.enhancedRouteRefresh === true,
    extendedNextHop,
  };
  if (local.gracefulRestart && remote.gracefulRestart) {
    result.gracefulRestart = remote.gracefulRestart;
  }
  if (local.role !== undefined && remote.role !== undefined) {
    result.role = { local: local.role, peer: remote.role };
  }
  if (remote.fqdn) result.peerFqdn = remote.fqdn;
  return result;
}

/**
 * True when two BGP roles may peer (RFC 9234 §4.2, Table 2): Provider with
 * Customer, Route Server with Route Server Client, Peer with Peer.
 */
export function rolesMatch(local: number, peer: number): boolean {
  const pairs: readonly (readonly [number, number])[] = [
    [BgpRole.Provider, BgpRole.Customer],
    [BgpRole.Customer, BgpRole.Provider],
    [BgpRole.RouteServer, BgpRole.RouteServerClient],
    [BgpRole.RouteServerClient, BgpRole.RouteServer],
    [BgpRole.Peer, BgpRole.Peer],
  ];
  return pairs.some(([a, b]) => a === local && b === peer);
}
