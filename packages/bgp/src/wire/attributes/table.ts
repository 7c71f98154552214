// The path attribute descriptor table (one entry per file in this folder),
// the union of decoded attributes, and the attribute encoder. The decoding
// loop with RFC 7606 error handling lives in ../messages/update.ts.
import type { ByteWriter } from "../bytes.js";
import { AttrFlag } from "../constants.js";
import type { CodecContext } from "../context.js";
import { BgpEncodeError } from "../errors.js";
import { type AggregatorAttribute, aggregator } from "./aggregator.js";
import { type AsPathAttribute, asPath } from "./as-path.js";
import { type As4AggregatorAttribute, as4Aggregator } from "./as4-aggregator.js";
import { type As4PathAttribute, as4Path } from "./as4-path.js";
import { type AtomicAggregateAttribute, atomicAggregate } from "./atomic-aggregate.js";
import { type ClusterListAttribute, clusterList } from "./cluster-list.js";
import { type CommunitiesAttribute, communities } from "./communities.js";
import type { AttributeDescriptor } from "./descriptor.js";
import { type ExtendedCommunitiesAttribute, extendedCommunities } from "./extended-communities.js";
import { type LargeCommunitiesAttribute, largeCommunities } from "./large-communities.js";
import { type LocalPrefAttribute, localPref } from "./local-pref.js";
import { type MedAttribute, med } from "./med.js";
import { type MpReachAttribute, mpReach } from "./mp-reach.js";
import { type MpUnreachAttribute, mpUnreach } from "./mp-unreach.js";
import { type NextHopAttribute, nextHop } from "./next-hop.js";
import { type OriginAttribute, origin } from "./origin.js";
import { type OriginatorIdAttribute, originatorId } from "./originator-id.js";
import { type OtcAttribute, otc } from "./otc.js";
import type { UnknownAttribute } from "./unknown.js";

/** Any path attribute, discriminated by `type`. */
export type PathAttribute =
  | OriginAttribute
  | AsPathAttribute
  | NextHopAttribute
  | MedAttribute
  | LocalPrefAttribute
  | AtomicAggregateAttribute
  | AggregatorAttribute
  | CommunitiesAttribute
  | OriginatorIdAttribute
  | ClusterListAttribute
  | MpReachAttribute
  | MpUnreachAttribute
  | ExtendedCommunitiesAttribute
  | As4PathAttribute
  | As4AggregatorAttribute
  | LargeCommunitiesAttribute
  | OtcAttribute
  | UnknownAttribute;

/** The `type` tag of a path attribute. */
export type PathAttributeType = PathAttribute["type"];

/** The attribute object of a given `type` tag. */
export type AttributeOf<K extends PathAttributeType> = Extract<PathAttribute, { type: K }>;

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table; each entry is typed in its file.
type AnyDescriptor = AttributeDescriptor<any>;

const all: AnyDescriptor[] = [
  origin,
  asPath,
  nextHop,
  med,
  localPref,
  atomicAggregate,
  aggregator,
  communities,
  originatorId,
  clusterList,
  mpReach,
  mpUnreach,
  extendedCommunities,
  as4Path,
  as4Aggregator,
  largeCommunities,
  otc,
];

/** Descriptors indexed by type code (undefined where this codec has none). */
export const ATTRIBUTE_TABLE: readonly (AnyDescriptor | undefined)[] = (() => {
  const t: (AnyDescriptor | undefined)[] = new Array(256).fill(undefined);
  for (const d of all) t[d.code] = d;
  return t;
})();

const byType = new Map<string, AnyDescriptor>(all.map((d) => [d.type, d]));

/** The descriptor of a known attribute `type` tag. */
export function attributeDescriptor(type: PathAttributeType): AnyDescriptor | undefined {
  return byType.get(type);
}

/**
 * Writes one path attribute: flags, type code, length (1 octet, or 2 with the
 * Extended Length bit when the value exceeds 255 octets or the object asks
 * for it; RFC 4271 §4.3), value.
 */
export function encodeAttribute(attr: PathAttribute, w: ByteWriter, ctx: CodecContext): void {
  let flags: number;
  let code: number;
  const at = w.pos;
  w.ensure(4);
  w.pos += 4;
  if (attr.type === "unknown") {
    flags = attr.flags & ~AttrFlag.ExtendedLength;
    code = attr.code;
    w.bytes(attr.value);
  } else {
    const d = byType.get(attr.type);
    if (!d) throw new BgpEncodeError(`unknown path attribute type ${String(attr.type)}`);
    flags = d.flags | (attr.partial ? AttrFlag.Partial : 0);
    code = d.code;
    d.encode(attr, w, ctx);
  }
  const len = w.pos - at - 4;
  if (len > 0xffff)
    throw new BgpEncodeError(`path attribute ${attr.type} longer than 65535 octets`);
  if (len > 255 || attr.extendedLength) {
    w.patch8(at, flags | AttrFlag.ExtendedLength);
    w.patch8(at + 1, code);
    w.patch16(at + 2, len);
  } else {
    w.patch8(at, flags);
    w.patch8(at + 1, code);
    w.patch8(at + 2, len);
    w.buf.copyWithin(at + 3, at + 4, w.pos);
    w.pos--;
  }
}

/** The first attribute with the given `type` tag, if any. */
export function findAttribute<K extends PathAttributeType>(
  attributes: readonly PathAttribute[],
  type: K,
): AttributeOf<K> | undefined {
  for (const a of attributes) if (a.type === type) return a as AttributeOf<K>;
  return undefined;
}

/**
 * The attributes as they may be passed on to another peer (RFC 4271 §5,
 * §9.1.4): unrecognized optional transitive attributes get the Partial bit,
 * unrecognized optional non-transitive ones are dropped.
 */
export function forwardAttributes(attributes: readonly PathAttribute[]): PathAttribute[] {
  const out: PathAttribute[] = [];
  for (const a of attributes) {
    if (a.type !== "unknown") out.push(a);
    else if (a.flags & AttrFlag.Transitive) out.push({ ...a, flags: a.flags | AttrFlag.Partial });
  }
  return out;
}
