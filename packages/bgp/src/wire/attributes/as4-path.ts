// AS4_PATH, type 17, optional transitive (RFC 6793 §3): the AS path with
// 4-octet AS numbers, sent alongside a 2-octet AS_PATH (which carries AS_TRANS
// in their place) between a NEW and an OLD speaker. Malformed → attribute
// discard (RFC 6793 §6). See `as4.ts` for the reconstruction of §4.2.3.
import { AttrType } from "../constants.js";
import type { AttributeBase, AttributeDescriptor } from "./descriptor.js";
import { type AsPathSegment, decodeSegments, encodeSegments } from "./segments.js";

/** AS4_PATH path attribute. */
export interface As4PathAttribute extends AttributeBase {
  readonly type: "as4-path";
  /** The segments, 4-octet AS numbers. */
  readonly segments: readonly AsPathSegment[];
}

/** Codec of AS4_PATH. */
export const as4Path: AttributeDescriptor<As4PathAttribute> = {
  code: AttrType.As4Path,
  type: "as4-path",
  flags: 0xc0,
  malformed: "attribute-discard",
  decode(b, start, end) {
    return { type: "as4-path", segments: decodeSegments(b, start, end, 4, "AS4_PATH") };
  },
  encode(attr, w) {
    encodeSegments(attr.segments, w, 4);
  },
};
