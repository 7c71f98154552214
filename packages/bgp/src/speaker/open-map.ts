// Between the codec's OPEN (wire objects) and the FSM's plain descriptors:
// our OPEN built from a peer's configuration, a received OPEN mapped for
// validation, and the codec context a negotiated session implies.
// Pure: no I/O.
import type {
  AddPathDirection,
  AfiSafi,
  CapabilitiesDescriptor,
  NegotiatedSession,
  OpenDescriptor,
} from "../fsm/index.js";
import { parseBgpId } from "../fsm/index.js";
import { AddPathMode, Afi, Safi } from "../wire/constants.js";
import type { Capability, CodecContext, Family, OpenMessage } from "../wire/index.js";
import { openMessage } from "../wire/index.js";

/** IPv4 and IPv6 unicast as AFI/SAFI. */
export const FAMILIES = {
  "ipv4-unicast": { afi: Afi.Ipv4, safi: Safi.Unicast },
  "ipv6-unicast": { afi: Afi.Ipv6, safi: Safi.Unicast },
} as const satisfies Record<string, AfiSafi>;
export type FamilyKey = keyof typeof FAMILIES;

/** Name of a family ("ipv4-unicast"), or "afi/safi" for others. */
export function familyName(f: AfiSafi): string {
  for (const [k, v] of Object.entries(FAMILIES)) if (v.afi === f.afi && v.safi === f.safi) return k;
  return `${f.afi}/${f.safi}`;
}

/** What we advertise to one peer. */
export interface LocalCapabilities {
  readonly asn: number;
  readonly families: readonly FamilyKey[];
  readonly addPath?: AddPathDirection;
  /** Advertise IPv4 NLRI with IPv6 next hops (RFC 8950) — for IPv4 over an IPv6 session. */
  readonly extendedNextHop?: boolean;
  readonly hostname?: string;
  /** Graceful restart (RFC 4724 §3): Restart Time, R bit, F bit for every family. */
  readonly gracefulRestart?: {
    readonly restartTime: number;
    readonly restarting: boolean;
    readonly forwardingPreserved: boolean;
  };
}

/** The FSM's view of what we advertise. */
export function localDescriptor(c: LocalCapabilities): CapabilitiesDescriptor {
  const families = c.families.map((f) => FAMILIES[f]);
  return {
    multiprotocol: families,
    routeRefresh: true,
    enhancedRouteRefresh: true,
    fourOctetAs: c.asn,
    extendedMessage: true,
    ...(c.addPath ? { addPath: families.map((f) => ({ ...f, mode: c.addPath! })) } : {}),
    ...(c.extendedNextHop
      ? { extendedNextHop: [{ afi: Afi.Ipv4, safi: Safi.Unicast, nextHopAfi: Afi.Ipv6 }] }
      : {}),
    ...(c.hostname ? { fqdn: { hostname: c.hostname, domain: "" } } : {}),
    ...(c.gracefulRestart
      ? {
          gracefulRestart: {
            restartTime: c.gracefulRestart.restartTime,
            restarting: c.gracefulRestart.restarting,
            families: families.map((f) => ({
              ...f,
              forwardingPreserved: c.gracefulRestart!.forwardingPreserved,
            })),
          },
        }
      : {}),
  };
}

const modeBits: Record<AddPathDirection, number> = {
  receive: AddPathMode.Receive,
  send: AddPathMode.Send,
  both: AddPathMode.Both,
};

/** Our OPEN message for a peer (RFC 4271 §4.2, capabilities per RFC 5492). */
export function buildOpen(c: LocalCapabilities, holdTime: number, routerId: string): OpenMessage {
  const d = localDescriptor(c);
  const caps: Capability[] = [];
  for (const f of d.multiprotocol ?? [])
    caps.push({ type: "multiprotocol", afi: f.afi, safi: f.safi });
  caps.push({ type: "route-refresh" }, { type: "enhanced-route-refresh" });
  caps.push({ type: "extended-message" });
  if (d.extendedNextHop) {
    caps.push({
      type: "extended-next-hop",
      entries: d.extendedNextHop.map((t) => ({
        afi: t.afi,
        safi: t.safi,
        nextHopAfi: t.nextHopAfi,
      })),
    });
  }
  if (d.addPath) {
    caps.push({
      type: "add-path",
      families: d.addPath.map((t) => ({ afi: t.afi, safi: t.safi, mode: modeBits[t.mode] })),
    });
  }
  if (d.gracefulRestart) {
    // RFC 4724 §3: R bit when this is a restart; F bit per family whose
    // forwarding state survived (our routes stay in the kernel).
    caps.push({
      type: "graceful-restart",
      flags: d.gracefulRestart.restarting ? 0x8 : 0,
      restartTime: d.gracefulRestart.restartTime,
      families: d.gracefulRestart.families.map((f) => ({
        afi: f.afi,
        safi: f.safi,
        flags: f.forwardingPreserved ? 0x80 : 0,
      })),
    });
  }
  if (d.fqdn) caps.push({ type: "fqdn", hostname: d.fqdn.hostname, domain: d.fqdn.domain });
  caps.push({ type: "four-octet-as", asn: c.asn });
  return openMessage({ asn: c.asn, holdTime, bgpId: routerId, capabilities: caps });
}

const modeNames: Record<number, AddPathDirection> = { 1: "receive", 2: "send", 3: "both" };

/** The FSM's view of a received OPEN. */
export function openDescriptor(open: OpenMessage): OpenDescriptor {
  const multiprotocol: AfiSafi[] = [];
  const caps: { -readonly [K in keyof CapabilitiesDescriptor]: CapabilitiesDescriptor[K] } = {};
  for (const c of open.capabilities) {
    switch (c.type) {
      case "multiprotocol":
        multiprotocol.push({ afi: c.afi, safi: c.safi });
        break;
      case "route-refresh":
        caps.routeRefresh = true;
        break;
      case "enhanced-route-refresh":
        caps.enhancedRouteRefresh = true;
        break;
      case "extended-message":
        caps.extendedMessage = true;
        break;
      case "four-octet-as":
        caps.fourOctetAs = c.asn;
        break;
      case "role":
        caps.role = c.role;
        break;
      case "fqdn":
        caps.fqdn = { hostname: c.hostname, domain: c.domain };
        break;
      case "add-path":
        caps.addPath = c.families
          .filter((f) => modeNames[f.mode])
          .map((f) => ({ afi: f.afi, safi: f.safi, mode: modeNames[f.mode]! }));
        break;
      case "extended-next-hop":
        caps.extendedNextHop = c.entries.map((e) => ({
          afi: e.afi,
          safi: e.safi,
          nextHopAfi: e.nextHopAfi,
        }));
        break;
      case "graceful-restart":
        caps.gracefulRestart = {
          restartTime: c.restartTime,
          restarting: (c.flags & 0x8) !== 0,
          notification: (c.flags & 0x4) !== 0,
          families: c.families.map((f) => ({
            afi: f.afi,
            safi: f.safi,
            forwardingPreserved: (f.flags & 0x80) !== 0,
          })),
        };
        break;
      default:
        break;
    }
  }
  if (multiprotocol.length) caps.multiprotocol = multiprotocol;
  return {
    version: open.version,
    myAs: open.myAs,
    holdTime: open.holdTime,
    bgpId: parseBgpId(open.bgpId),
    capabilities: caps,
  };
}

/** The codec context of an Established session (RFC 6793, RFC 8654, RFC 7911). */
export function contextOf(session: NegotiatedSession): CodecContext {
  const c = session.capabilities;
  const receive: Family[] = [];
  const send: Family[] = [];
  for (const a of c.addPath) {
    if (a.receive) receive.push({ afi: a.afi, safi: a.safi });
    if (a.send) send.push({ afi: a.afi, safi: a.safi });
  }
  return {
    fourOctetAs: c.fourOctetAs,
    extendedMessage: c.extendedMessage,
    addPath: { receive, send },
    // RFC 7606 §7.5, §7.9: LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST from an external peer are discarded.
    peerType: session.internal ? "internal" : "external",
  };
}
