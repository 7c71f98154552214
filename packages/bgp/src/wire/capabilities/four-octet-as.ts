// Support for 4-octet AS Number capability, code 65 (RFC 6793 §3): the
// sender's AS number in 4 octets.
import { u32 } from "../bytes.js";
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The sender handles 4-octet AS numbers; its own AS in full. */
export interface FourOctetAsCapability {
  readonly type: "four-octet-as";
  /** The sender's AS number. */
  readonly asn: number;
}

/** Codec of the 4-octet AS capability. */
export const fourOctetAs: CapabilityDescriptor<FourOctetAsCapability> = {
  code: CapabilityCode.FourOctetAs,
  type: "four-octet-as",
  decode(b, start, end) {
    expectLength("4-octet AS", start, end, 4);
    return { type: "four-octet-as", asn: u32(b, start) };
  },
  encode(cap, w) {
    w.u32(cap.asn);
  },
};
