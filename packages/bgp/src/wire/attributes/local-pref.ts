// LOCAL_PREF, type 5, well-known (mandatory on iBGP; RFC 4271 §4.3 and
// §5.1.5): a 4-octet unsigned integer. Malformed → treat-as-withdraw
// (RFC 7606 §7.5).
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** LOCAL_PREF path attribute. */
export interface LocalPrefAttribute extends AttributeBase {
  readonly type: "local-pref";
  /** The preference (higher wins). */
  readonly localPref: number;
}

/** Codec of LOCAL_PREF. */
export const localPref: AttributeDescriptor<LocalPrefAttribute> = {
  code: AttrType.LocalPref,
  type: "local-pref",
  flags: 0x40,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("LOCAL_PREF", start, end, 4);
    return { type: "local-pref", localPref: u32(b, start) };
  },
  encode(attr, w) {
    w.u32(attr.localPref);
  },
};
