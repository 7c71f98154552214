// BGP Role capability, code 9 (RFC 9234 §4.1): one octet, the role of the
// sender (Provider 0, RS 1, RS-Client 2, Customer 3, Peer 4).
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The sender's BGP role for this session. */
export interface RoleCapability {
  readonly type: "role";
  /** A {@link Role} value (other values are kept as received). */
  readonly role: number;
}

/** Codec of the BGP Role capability. */
export const role: CapabilityDescriptor<RoleCapability> = {
  code: CapabilityCode.Role,
  type: "role",
  decode(b, start, end) {
    expectLength("role", start, end, 1);
    return { type: "role", role: b[start]! };
  },
  encode(cap, w) {
    w.u8(cap.role);
  },
};
