// AS path segments, shared by AS_PATH (2 or 4 octets per AS, RFC 4271 §4.3,
// RFC 6793 §3) and AS4_PATH (always 4 octets, RFC 6793 §3):
//
//   +--------------+--------------+------------------------------+
//   | Segment Type | Segment Len. | Segment Value (Len. × 2|4)   |
//   |  (1 octet)   |  (1 octet)   |  AS numbers                  |
//   +--------------+--------------+------------------------------+
//
// Types: AS_SET 1, AS_SEQUENCE 2 (RFC 4271), AS_CONFED_SEQUENCE 3,
// AS_CONFED_SET 4 (RFC 5065 §3).
import { type ByteWriter, u16, u32 } from "../bytes.js";
import { AS_TRANS, AsPathSegmentType, UpdateSubcode } from "../constants.js";
import { BgpEncodeError } from "../errors.js";
import { MalformedAttribute } from "./descriptor.js";

/** One AS path segment. */
export interface AsPathSegment {
  /** {@link AsPathSegmentType}: 1 set, 2 sequence, 3 confed sequence, 4 confed set. */
  readonly type: number;
  /** AS numbers in order. */
  readonly asns: readonly number[];
}

/** Decodes segments with `size`-octet AS numbers; throws Malformed AS_PATH (RFC 7606 §7.2). */
export function decodeSegments(
  b: Uint8Array,
  start: number,
  end: number,
  size: 2 | 4,
  name: string,
): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  let i = start;
  while (i < end) {
    if (i + 2 > end)
      throw new MalformedAttribute(UpdateSubcode.MalformedAsPath, `${name}: truncated segment`);
    const type = b[i]!;
    const count = b[i + 1]!;
    if (type < AsPathSegmentType.AsSet || type > AsPathSegmentType.ConfedSet) {
      throw new MalformedAttribute(UpdateSubcode.MalformedAsPath, `${name}: segment type ${type}`);
    }
    if (count === 0)
      throw new MalformedAttribute(UpdateSubcode.MalformedAsPath, `${name}: empty segment`);
    i += 2;
    if (i + count * size > end) {
      throw new MalformedAttribute(UpdateSubcode.MalformedAsPath, `${name}: segment overruns`);
    }
    const asns = new Array<number>(count);
    for (let k = 0; k < count; k++, i += size) asns[k] = size === 4 ? u32(b, i) : u16(b, i);
    out.push({ type, asns });
  }
  return out;
}

/**
 * Encodes segments; with 2-octet size, AS numbers above 65535 become AS_TRANS
 * (RFC 6793 §4.2.2). Sequences longer than 255 are split; longer sets throw.
 */
export function encodeSegments(
  segments: readonly AsPathSegment[],
  w: ByteWriter,
  size: 2 | 4,
): void {
  for (const s of segments) {
    const sequence =
      s.type === AsPathSegmentType.AsSequence || s.type === AsPathSegmentType.ConfedSequence;
    if (s.asns.length > 255 && !sequence) throw new BgpEncodeError("AS set longer than 255");
    if (s.asns.length === 0) throw new BgpEncodeError("empty AS path segment");
    for (let from = 0; from < s.asns.length; from += 255) {
      const part = s.asns.slice(from, from + 255);
      w.u8(s.type);
      w.u8(part.length);
      for (const asn of part) {
        if (size === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
}
