// NEXT_HOP, type 3, well-known (mandatory with IPv4 NLRI in the UPDATE's own
// NLRI field; RFC 4271 §4.3 and §5.1.3): a 4-octet IPv4 address.
// Malformed → treat-as-withdraw (RFC 7606 §7.3).
import { formatIpv4, parseIpv4 } from "../address.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** NEXT_HOP path attribute. */
export interface NextHopAttribute extends AttributeBase {
  readonly type: "next-hop";
  /** IPv4 address text. */
  readonly nextHop: string;
}

/** Codec of NEXT_HOP. */
export const nextHop: AttributeDescriptor<NextHopAttribute> = {
  code: AttrType.NextHop,
  type: "next-hop",
  flags: 0x40,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("NEXT_HOP", start, end, 4);
    return { type: "next-hop", nextHop: formatIpv4(b, start) };
  },
  encode(attr, w) {
    w.bytes(parseIpv4(attr.nextHop));
  },
};
