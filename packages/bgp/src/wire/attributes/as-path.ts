// AS_PATH, type 2, well-known mandatory (RFC 4271 §4.3 and §5.1.2): segments
// of 2-octet AS numbers, or 4-octet ones when both speakers announced the
// 4-octet AS capability (RFC 6793 §4.1). Malformed → treat-as-withdraw
// (RFC 7606 §7.2).
import { AttrType } from "../constants.js";
import type { AttributeBase, AttributeDescriptor } from "./descriptor.js";
import { type AsPathSegment, decodeSegments, encodeSegments } from "./segments.js";

/** AS_PATH path attribute. */
export interface AsPathAttribute extends AttributeBase {
  readonly type: "as-path";
  /** The segments, leftmost (most recent) first. */
  readonly segments: readonly AsPathSegment[];
}

/** Codec of AS_PATH. */
export const asPath: AttributeDescriptor<AsPathAttribute> = {
  code: AttrType.AsPath,
  type: "as-path",
  flags: 0x40,
  malformed: "treat-as-withdraw",
  decode(b, start, end, ctx) {
    return {
      type: "as-path",
      segments: decodeSegments(b, start, end, ctx.fourOctetAs ? 4 : 2, "AS_PATH"),
    };
  },
  encode(attr, w, ctx) {
    encodeSegments(attr.segments, w, ctx.fourOctetAs ? 4 : 2);
  },
};
