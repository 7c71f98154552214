// COMMUNITIES, type 8, optional transitive (RFC 1997): a list of 4-octet
// values, conventionally ASN:value. Malformed (length not a non-zero
// multiple of 4) → treat-as-withdraw (RFC 7606 §7.8).
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectMultiple } from "./descriptor.js";

/** COMMUNITIES path attribute. */
export interface CommunitiesAttribute extends AttributeBase {
  readonly type: "communities";
  /** 32-bit community values (`asn * 65536 + value`). */
  readonly communities: readonly number[];
}

/** Codec of COMMUNITIES. */
export const communities: AttributeDescriptor<CommunitiesAttribute> = {
  code: AttrType.Communities,
  type: "communities",
  flags: 0xc0,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectMultiple("COMMUNITIES", start, end, 4);
    const out: number[] = [];
    for (let i = start; i < end; i += 4) out.push(u32(b, i));
    return { type: "communities", communities: out };
  },
  encode(attr, w) {
    for (const c of attr.communities) w.u32(c);
  },
};

/** Builds a community value from `asn:value` halves. */
export function community(asn: number, value: number): number {
  return (asn & 0xffff) * 0x10000 + (value & 0xffff);
}
