// MULTI_EXIT_DISC, type 4, optional non-transitive (RFC 4271 §4.3 and
// §5.1.4): a 4-octet unsigned integer. Malformed → treat-as-withdraw
// (RFC 7606 §7.4).
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** MULTI_EXIT_DISC path attribute. */
export interface MedAttribute extends AttributeBase {
  readonly type: "med";
  /** The metric. */
  readonly med: number;
}

/** Codec of MULTI_EXIT_DISC. */
export const med: AttributeDescriptor<MedAttribute> = {
  code: AttrType.MultiExitDisc,
  type: "med",
  flags: 0x80,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("MULTI_EXIT_DISC", start, end, 4);
    return { type: "med", med: u32(b, start) };
  },
  encode(attr, w) {
    w.u32(attr.med);
  },
};
