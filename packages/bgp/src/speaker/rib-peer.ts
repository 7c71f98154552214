// A peer as the speaker's RIB knows it (`RibPeerConfig`), from the peer's
// configuration and what its session negotiated (RFC 4271 §4.2 OPEN, RFC
// 6793 4-octet AS, RFC 7911 ADD-PATH). Pure.
import { formatBgpId, type NegotiatedSession } from "../fsm/index.js";
import { compileFilters } from "../policy/compile.js";
import type { RoutePolicy } from "../rib/policy-hook.js";
import type { RibPeerConfig } from "../rib/rib.js";
import type { PeerConfig } from "./config.js";

/** The import and export policies of a peer's BGPFilters (undefined: accept all). */
export function peerPolicies(peer: PeerConfig): {
  importPolicy: RoutePolicy | undefined;
  exportPolicy: RoutePolicy | undefined;
} {
  return {
    importPolicy: peer.importFilters?.length
      ? compileFilters(peer.importFilters, "import").policy
      : undefined,
    exportPolicy: peer.exportFilters?.length
      ? compileFilters(peer.exportFilters, "export").policy
      : undefined,
  };
}

/** The RIB's view of a peer whose session just came up. */
export function ribPeerConfig(o: {
  /** The peer's address (its id in the RIB). */
  readonly address: string;
  readonly peer: PeerConfig;
  readonly session: NegotiatedSession;
  /** Our AS on this session when not the speaker's. */
  readonly localAs?: number;
  /** Our address on the session's socket ("" when unknown). */
  readonly socketAddress: string;
  /** Subnets of the session's interface (single-hop next-hop rules, RFC 4271 §5.1.3). */
  readonly sharedSubnets?: readonly string[];
  /** The session's interface name (BGPFilter `interface`). */
  readonly interface?: string;
  /** A global IPv6 address of the session's interface (next hop of IPv6 routes over IPv4). */
  readonly interfaceAddress6?: string;
}): RibPeerConfig {
  const p = o.peer;
  const local = o.socketAddress;
  // Next hop self: the configured source address, else the socket's (RFC 4271 §5.1.3);
  // IPv6 routes over an IPv4 session: nextHop6, else a global IPv6 address
  // of the session's interface (what BIRD and FRR accept without
  // configuration), else the IPv4-mapped address (RFC 4291 §2.5.5.2).
  const v4 =
    p.localAddress && !p.localAddress.includes(":")
      ? p.localAddress
      : local && !local.includes(":")
        ? local
        : undefined;
  const v6 =
    p.nextHop6 ??
    (p.localAddress?.includes(":")
      ? p.localAddress
      : local.includes(":")
        ? local
        : (o.interfaceAddress6 ?? (v4 ? `::ffff:${v4}` : undefined)));
  const c = o.session.capabilities;
  const mp = p.maxPrefix;
  const { importPolicy, exportPolicy } = peerPolicies(p);
  const self = v4 ?? v6;
  return {
    id: o.address,
    address: o.address,
    asn: o.session.peerAs,
    ...(o.localAs !== undefined ? { localAs: o.localAs } : {}),
    routerId: formatBgpId(o.session.peerBgpId),
    ...(self !== undefined ? { localAddress: self } : {}),
    ...(v6 !== undefined ? { localAddress6: v6 } : {}),
    multihop: (p.multihop ?? 1) > 1 || (p.ttlSecurity ?? 1) > 1,
    ...(o.sharedSubnets?.length ? { sharedSubnets: o.sharedSubnets } : {}),
    ...(o.interface !== undefined ? { interface: o.interface } : {}),
    rrClient: p.routeReflectorClient,
    allowAsIn: p.allowAsIn,
    nextHopMode: p.nextHopMode,
    fourOctetAs: c.fourOctetAs,
    addPathSend: c.addPath.some((a) => a.send),
    ...(mp
      ? { maxPrefix: { limit: mp.limit, action: mp.action === "cease" ? "teardown" : "warn" } }
      : {}),
    // The Adj-RIB-In before policy is kept when there is an import policy to
    // change later without a ROUTE-REFRESH (BIRD's `import table`).
    ...(importPolicy ? { importPolicy, keepPreImport: true } : {}),
    ...(exportPolicy ? { exportPolicy } : {}),
  };
}
