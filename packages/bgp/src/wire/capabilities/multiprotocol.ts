// Multiprotocol Extensions capability, code 1 (RFC 4760 §8):
//
//   0       7      15      23      31
//   +-------+-------+-------+-------+
//   |      AFI      | Res.  | SAFI  |
//   +-------+-------+-------+-------+
import { u16 } from "../bytes.js";
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The speaker can carry routes of one AFI/SAFI. */
export interface MultiprotocolCapability {
  readonly type: "multiprotocol";
  /** Address Family Identifier. */
  readonly afi: number;
  /** Subsequent Address Family Identifier. */
  readonly safi: number;
}

/** Codec of the Multiprotocol capability. */
export const multiprotocol: CapabilityDescriptor<MultiprotocolCapability> = {
  code: CapabilityCode.Multiprotocol,
  type: "multiprotocol",
  decode(b, start, end) {
    expectLength("multiprotocol", start, end, 4);
    return { type: "multiprotocol", afi: u16(b, start), safi: b[start + 3]! };
  },
  encode(cap, w) {
    w.u16(cap.afi);
    w.u8(0);
    w.u8(cap.safi);
  },
};
