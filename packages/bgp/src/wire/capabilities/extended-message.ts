// Extended Message capability, code 6 (RFC 8654 §3): no value. When both
// sides announce it, messages other than OPEN may be up to 65,535 octets.
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The speaker accepts messages up to 65,535 octets. */
export interface ExtendedMessageCapability {
  readonly type: "extended-message";
}

/** Codec of the Extended Message capability. */
export const extendedMessage: CapabilityDescriptor<ExtendedMessageCapability> = {
  code: CapabilityCode.ExtendedMessage,
  type: "extended-message",
  decode(_b, start, end) {
    expectLength("extended message", start, end, 0);
    return { type: "extended-message" };
  },
  encode() {},
};
