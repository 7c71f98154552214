// AGGREGATOR, type 7, optional transitive (RFC 4271 §4.3, RFC 6793 §3):
// the AS (2 octets, or 4 between NEW speakers) and IPv4 BGP Identifier of
// the speaker that aggregated. Malformed → attribute discard (RFC 7606 §7.7).
import { formatIpv4, parseIpv4 } from "../address.js";
import { u16, u32 } from "../bytes.js";
import { AS_TRANS, AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** AGGREGATOR path attribute. */
export interface AggregatorAttribute extends AttributeBase {
  readonly type: "aggregator";
  /** The aggregating AS (AS_TRANS on a 2-octet session for a large AS). */
  readonly asn: number;
  /** The aggregator's BGP Identifier, as IPv4 text. */
  readonly address: string;
}

/** Codec of AGGREGATOR. */
export const aggregator: AttributeDescriptor<AggregatorAttribute> = {
  code: AttrType.Aggregator,
  type: "aggregator",
  flags: 0xc0,
  malformed: "attribute-discard",
  decode(b, start, end, ctx) {
    const size = ctx.fourOctetAs ? 4 : 2;
    expectLength("AGGREGATOR", start, end, size + 4);
    const asn = size === 4 ? u32(b, start) : u16(b, start);
    return { type: "aggregator", asn, address: formatIpv4(b, start + size) };
  },
  encode(attr, w, ctx) {
    if (ctx.fourOctetAs) w.u32(attr.asn);
    else w.u16(attr.asn > 0xffff ? AS_TRANS : attr.asn);
    w.bytes(parseIpv4(attr.address));
  },
};
