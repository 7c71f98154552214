// AS4_AGGREGATOR, type 18, optional transitive (RFC 6793 §3): AGGREGATOR
// with a 4-octet AS, sent next to an AGGREGATOR carrying AS_TRANS.
// Malformed → attribute discard (RFC 6793 §6).
import { formatIpv4, parseIpv4 } from "../address.js";
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** AS4_AGGREGATOR path attribute. */
export interface As4AggregatorAttribute extends AttributeBase {
  readonly type: "as4-aggregator";
  /** The aggregating AS, 4 octets. */
  readonly asn: number;
  /** The aggregator's BGP Identifier, as IPv4 text. */
  readonly address: string;
}

/** Codec of AS4_AGGREGATOR. */
export const as4Aggregator: AttributeDescriptor<As4AggregatorAttribute> = {
  code: AttrType.As4Aggregator,
  type: "as4-aggregator",
  flags: 0xc0,
  malformed: "attribute-discard",
  decode(b, start, end) {
    expectLength("AS4_AGGREGATOR", start, end, 8);
    return { type: "as4-aggregator", asn: u32(b, start), address: formatIpv4(b, start + 4) };
  },
  encode(attr, w) {
    w.u32(attr.asn);
    w.bytes(parseIpv4(attr.address));
  },
};
