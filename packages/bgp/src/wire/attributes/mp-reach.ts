// MP_REACH_NLRI, type 14, optional non-transitive (RFC 4760 §3):
//
//   +---------------------------------------------------------+
//   | Address Family Identifier (2 octets)                    |
//   | Subsequent Address Family Identifier (1 octet)          |
//   | Length of Next Hop Network Address (1 octet)            |
//   | Network Address of Next Hop (variable)                  |
//   | Reserved (1 octet)                                      |
//   | Network Layer Reachability Information (variable)       |
//   +---------------------------------------------------------+
//
// Next hops: IPv4 4 octets; IPv6 16, or 32 = global + link-local
// (RFC 2545 §3); IPv4 NLRI with an IPv6 next hop of 16 or 32 (RFC 8950 §3).
// NLRI of IPv4/IPv6 unicast and multicast are decoded (with ADD-PATH Path
// Identifiers when negotiated, RFC 7911 §3); other families are kept raw.
// Malformed → session reset (RFC 7606 §7.11, §5.3).
import { formatIpv4, formatIpv6, parseAddress } from "../address.js";
import { u16 } from "../bytes.js";
import { Afi, AttrType, UpdateSubcode } from "../constants.js";
import { addPathReceive, addPathSend } from "../context.js";
import { BgpEncodeError } from "../errors.js";
import { decodePrefixes, encodePrefixes, type Prefix } from "../prefix.js";
import { type AttributeBase, type AttributeDescriptor, MalformedAttribute } from "./descriptor.js";

/** MP_REACH_NLRI path attribute. */
export interface MpReachAttribute extends AttributeBase {
  readonly type: "mp-reach";
  /** AFI of the NLRI. */
  readonly afi: number;
  /** SAFI of the NLRI. */
  readonly safi: number;
  /** Next hop address text (global address for IPv6); undefined for raw families. */
  readonly nextHop: string | undefined;
  /** IPv6 link-local next hop, when the next hop field is 32 octets. */
  readonly linkLocalNextHop?: string;
  /** The reachable prefixes (IPv4/IPv6 unicast and multicast). */
  readonly nlri: readonly Prefix[];
  /** For families not decoded here: everything after AFI/SAFI, raw. */
  readonly unparsed?: Uint8Array;
}

/** Whether the NLRI of this AFI/SAFI are plain prefixes this codec decodes. */
export function isPrefixFamily(afi: number, safi: number): boolean {
  return (afi === Afi.Ipv4 || afi === Afi.Ipv6) && (safi === 1 || safi === 2);
}

function optErr(msg: string): MalformedAttribute {
  return new MalformedAttribute(UpdateSubcode.OptionalAttributeError, `MP_REACH_NLRI: ${msg}`);
}

/** Codec of MP_REACH_NLRI. */
export const mpReach: AttributeDescriptor<MpReachAttribute> = {
  code: AttrType.MpReachNlri,
  type: "mp-reach",
  flags: 0x80,
  malformed: "session-reset",
  decode(b, start, end, ctx) {
    if (end - start < 5) throw optErr("too short");
    const afi = u16(b, start);
    const safi = b[start + 2]!;
    if (!isPrefixFamily(afi, safi)) {
      return {
        type: "mp-reach",
        afi,
        safi,
        nextHop: undefined,
        nlri: [],
        unparsed: b.slice(start + 3, end),
      };
    }
    const nhLen = b[start + 3]!;
    const nh = start + 4;
    if (nh + nhLen + 1 > end) throw optErr("next hop overruns");
    let nextHop: string;
    let linkLocal: string | undefined;
    if (nhLen === 4 && afi === Afi.Ipv4) nextHop = formatIpv4(b, nh);
    else if (nhLen === 16) nextHop = formatIpv6(b, nh);
    else if (nhLen === 32) {
      nextHop = formatIpv6(b, nh);
      linkLocal = formatIpv6(b, nh + 16);
    } else throw optErr(`next hop length ${nhLen} for AFI ${afi}`);
    // The Reserved octet (former SNPA count) is ignored on receipt (RFC 4760 §3).
    const nlri: Prefix[] = [];
    decodePrefixes(
      b,
      nh + nhLen + 1,
      end,
      afi,
      addPathReceive(ctx, afi, safi),
      nlri,
      UpdateSubcode.OptionalAttributeError,
    );
    return linkLocal === undefined
      ? { type: "mp-reach", afi, safi, nextHop, nlri }
      : { type: "mp-reach", afi, safi, nextHop, linkLocalNextHop: linkLocal, nlri };
  },
  encode(attr, w, ctx) {
    w.u16(attr.afi);
    w.u8(attr.safi);
    if (attr.unparsed) {
      w.bytes(attr.unparsed);
      return;
    }
    if (attr.nextHop === undefined) throw new BgpEncodeError("MP_REACH_NLRI without a next hop");
    const nh = parseAddress(attr.nextHop);
    const ll =
      attr.linkLocalNextHop === undefined ? undefined : parseAddress(attr.linkLocalNextHop);
    if (
      (ll && (ll.length !== 16 || nh.length !== 16)) ||
      (attr.afi === Afi.Ipv6 && nh.length !== 16)
    ) {
      throw new BgpEncodeError("MP_REACH_NLRI next hop does not fit the address family");
    }
    w.u8(nh.length + (ll ? 16 : 0));
    w.bytes(nh);
    if (ll) w.bytes(ll);
    w.u8(0);
    encodePrefixes(w, attr.nlri, addPathSend(ctx, attr.afi, attr.safi));
  },
};
