// ORIGIN, type 1, well-known mandatory (RFC 4271 §4.3 and §5.1.1): one octet,
// IGP 0, EGP 1, INCOMPLETE 2. Malformed → treat-as-withdraw (RFC 7606 §7.1).
import { AttrType, UpdateSubcode } from "../constants.js";
import {
  type AttributeBase,
  type AttributeDescriptor,
  expectLength,
  MalformedAttribute,
} from "./descriptor.js";

/** ORIGIN path attribute. */
export interface OriginAttribute extends AttributeBase {
  readonly type: "origin";
  /** An {@link Origin} value. */
  readonly origin: number;
}

/** Codec of ORIGIN. */
export const origin: AttributeDescriptor<OriginAttribute> = {
  code: AttrType.Origin,
  type: "origin",
  flags: 0x40,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("ORIGIN", start, end, 1);
    const v = b[start]!;
    if (v > 2) throw new MalformedAttribute(UpdateSubcode.InvalidOriginAttribute, `ORIGIN ${v}`);
    return { type: "origin", origin: v };
  },
  encode(attr, w) {
    w.u8(attr.origin);
  },
};
