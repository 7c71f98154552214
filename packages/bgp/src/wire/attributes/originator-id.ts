// ORIGINATOR_ID, type 9, optional non-transitive (RFC 4456 §8): the BGP
// Identifier of the route's originator in the local AS, set by a route
// reflector. Malformed → treat-as-withdraw (RFC 7606 §7.9).
import { formatIpv4, parseIpv4 } from "../address.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** ORIGINATOR_ID path attribute. */
export interface OriginatorIdAttribute extends AttributeBase {
  readonly type: "originator-id";
  /** BGP Identifier, as IPv4 text. */
  readonly originatorId: string;
}

/** Codec of ORIGINATOR_ID. */
export const originatorId: AttributeDescriptor<OriginatorIdAttribute> = {
  code: AttrType.OriginatorId,
  type: "originator-id",
  flags: 0x80,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectLength("ORIGINATOR_ID", start, end, 4);
    return { type: "originator-id", originatorId: formatIpv4(b, start) };
  },
  encode(attr, w) {
    w.bytes(parseIpv4(attr.originatorId));
  },
};
