// LARGE_COMMUNITY, type 32, optional transitive (RFC 8092 §3):
//
//   +---------------------------------+
//   | Global Administrator (4 octets) |
//   | Local Data Part 1 (4 octets)    |
//   | Local Data Part 2 (4 octets)    |
//   +---------------------------------+  ... repeated
//
// Malformed (length not a non-zero multiple of 12) → treat-as-withdraw
// (RFC 8092 §6).
import { u32 } from "../bytes.js";
import { AttrType } from "../constants.js";
import { type AttributeBase, type AttributeDescriptor, expectMultiple } from "./descriptor.js";

/** One large community `global:local1:local2`. */
export interface LargeCommunity {
  /** Global Administrator (usually an AS). */
  readonly global: number;
  /** Local Data Part 1. */
  readonly local1: number;
  /** Local Data Part 2. */
  readonly local2: number;
}

/** LARGE_COMMUNITY path attribute. */
export interface LargeCommunitiesAttribute extends AttributeBase {
  readonly type: "large-communities";
  /** The communities in order. */
  readonly communities: readonly LargeCommunity[];
}

/** Codec of LARGE_COMMUNITY. */
export const largeCommunities: AttributeDescriptor<LargeCommunitiesAttribute> = {
  code: AttrType.LargeCommunities,
  type: "large-communities",
  flags: 0xc0,
  malformed: "treat-as-withdraw",
  decode(b, start, end) {
    expectMultiple("LARGE_COMMUNITY", start, end, 12);
    const out: LargeCommunity[] = [];
    for (let i = start; i < end; i += 12) {
      out.push({ global: u32(b, i), local1: u32(b, i + 4), local2: u32(b, i + 8) });
    }
    return { type: "large-communities", communities: out };
  },
  encode(attr, w) {
    for (const c of attr.communities) {
      w.u32(c.global);
      w.u32(c.local1);
      w.u32(c.local2);
    }
  },
};
