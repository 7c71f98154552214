// EXTENDED_COMMUNITIES, type 16, optional transitive (RFC 4360 §2): 8-octet
// values; the first octet (Type) and often the second (Sub-Type) say how to
// read the rest, e.g. route target 0x00 0x02 | AS (2) | value (4).
// Malformed (length not a non-zero multiple of 8) → treat-as-withdraw
// (RFC 7606 §7.14).
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectMultiple } from "./descriptor.js";

/** EXTENDED_COMMUNITIES path attribute. */
export interface ExtendedCommunitiesAttribute extends AttributeBase {
  readonly type: "extended-communities";
  /** Each community as a 64-bit unsigned bigint (Type in the top octet). */
  readonly communities: readonly bigint[];
}

/** Codec of EXTENDED_COMMUNITIES. */
export const extendedCommunities: AttributeDescriptor<ExtendedCommunitiesAttribute> = {
  code: AttrType.ExtendedCommunities,
  type: "extended-communities",
  flags: 0xc0,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectMultiple("EXTENDED_COMMUNITIES", start, end, 8);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: bigint[] = [];
    for (let i = start; i < end; i += 8) out.push(dv.getBigUint64(i));
    return { type: "extended-communities", communities: out };
  },
  encode(attr, w) {
    for (const c of attr.communities) {
      w.u32(Number((c >> 32n) & 0xffffffffn));
      w.u32(Number(c & 0xffffffffn));
    }
  },
};

/** A two-octet-AS route target extended community (RFC 4360 §4: type 0x00, sub-type 0x02). */
export function routeTarget(asn: number, value: number): bigint {
  return (0x0002n << 48n) | (BigInt(asn & 0xffff) << 32n) | BigInt(value >>> 0);
}
