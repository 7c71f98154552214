// MP_UNREACH_NLRI, type 15, optional non-transitive (RFC 4760 §4):
//
//   +---------------------------------------------------------+
//   | Address Family Identifier (2 octets)                    |
//   | Subsequent Address Family Identifier (1 octet)          |
//   | Withdrawn Routes (variable)                             |
//   +---------------------------------------------------------+
//
// With no withdrawn routes it is the End-of-RIB marker of a family other
// than IPv4 unicast (RFC 4724 §2). Malformed → session reset (RFC 7606 §7.12).
import { u16 } from "../bytes.js";
import { AttrType, UpdateSubcode } from "../constants.js";
import { addPathReceive, addPathSend } from "../context.js";
import { decodePrefixes, encodePrefixes, type Prefix } from "../prefix.js";
import { type AttributeBase, type AttributeDescriptor, MalformedAttribute } from "./descriptor.js";
import { isPrefixFamily } from "./mp-reach.js";

/** MP_UNREACH_NLRI path attribute. */
export interface MpUnreachAttribute extends AttributeBase {
  readonly type: "mp-unreach";
  /** AFI of the withdrawn routes. */
  readonly afi: number;
  /** SAFI of the withdrawn routes. */
  readonly safi: number;
  /** The withdrawn prefixes (IPv4/IPv6 unicast and multicast). */
  readonly withdrawn: readonly Prefix[];
  /** For families not decoded here: the withdrawn routes field, raw. */
  readonly unparsed?: Uint8Array;
}

/** Codec of MP_UNREACH_NLRI. */
export const mpUnreach: AttributeDescriptor<MpUnreachAttribute> = {
  code: AttrType.MpUnreachNlri,
  type: "mp-unreach",
  flags: 0x80,
  malformed: "session-reset",
  decode(b, start, end, ctx) {
    if (end - start < 3) {
      throw new MalformedAttribute(
        UpdateSubcode.OptionalAttributeError,
        "MP_UNREACH_NLRI: too short",
      );
    }
    const afi = u16(b, start);
    const safi = b[start + 2]!;
    if (!isPrefixFamily(afi, safi)) {
      return { type: "mp-unreach", afi, safi, withdrawn: [], unparsed: b.slice(start + 3, end) };
    }
    const withdrawn: Prefix[] = [];
    decodePrefixes(
      b,
      start + 3,
      end,
      afi,
      addPathReceive(ctx, afi, safi),
      withdrawn,
      UpdateSubcode.OptionalAttributeError,
    );
    return { type: "mp-unreach", afi, safi, withdrawn };
  },
  encode(attr, w, ctx) {
    w.u16(attr.afi);
    w.u8(attr.safi);
    if (attr.unparsed) w.bytes(attr.unparsed);
    else encodePrefixes(w, attr.withdrawn, addPathSend(ctx, attr.afi, attr.safi));
  },
};
