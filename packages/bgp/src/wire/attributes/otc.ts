// Only to Customer (OTC), type 35, optional transitive (RFC 9234 §5): a
// 4-octet AS number marking a route that may only go to customers.
// Malformed (length ≠ 4) → treat-as-withdraw (RFC 9234 §5).
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** OTC path attribute. */
export interface OtcAttribute extends AttributeBase {
  readonly type: "otc";
  /** The AS that set it. */
  readonly asn: number;
}

/** Codec of OTC. */
export const otc: AttributeDescriptor<OtcAttribute> = {
  code: AttrType.Otc,
  type: "otc",
  flags: 0xc0,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("OTC", start, end, 4);
    return { type: "otc", asn: u32(b, start) };
  },
  encode(attr, w) {
    w.u32(attr.asn);
  },
};
