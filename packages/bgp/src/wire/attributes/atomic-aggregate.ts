// ATOMIC_AGGREGATE, type 6, well-known discretionary (RFC 4271 §4.3 and
// §5.1.6): no value. Malformed → attribute discard (RFC 7606 §7.6).
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectLength } from "./descriptor.js";

/** ATOMIC_AGGREGATE path attribute. */
export interface AtomicAggregateAttribute extends AttributeBase {
  readonly type: "atomic-aggregate";
}

/** Codec of ATOMIC_AGGREGATE. */
export const atomicAggregate: AttributeDescriptor<AtomicAggregateAttribute> = {
  code: AttrType.AtomicAggregate,
  type: "atomic-aggregate",
  flags: 0x40,
  malformed: "attribute-discard",
  decode(_b, start, end) {
    expectLength("ATOMIC_AGGREGATE", start, end, 0);
    return { type: "atomic-aggregate" };
  },
  encode() {},
};
