// Addresses: struct ifaddrmsg + IFA_* attributes (linux/if_addr.h), for
// RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR.
//
// struct ifaddrmsg (8 bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ifa_family   | ifa_prefixlen |  ifa_flags    |   ifa_scope   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        ifa_index                              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the same on
// broadcast links and the remote end on point-to-point links. ifa_flags holds
// only 8 bits; IFA_FLAGS (u32) carries all flags (e.g. IFA_F_NOPREFIXROUTE).
import { AttrTable, attrField, ipAttr, stringAttr, u8Attr, u32Attr } from "./attr-table.js";
import { HOST_LE, type RawAttr, viewOf, type Writer } from "./bytes.js";
import { Ifa } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";

/** Size of struct ifaddrmsg. */
export const IFADDRMSG_LEN = 8;

/** An interface address as rtnetlink describes it. */
export interface Address {
  readonly family: number;
  readonly prefixlen: number;
  /** IFA_F_* flags (all 32 bits: ifa_flags merged with IFA_FLAGS). */
  readonly flags: number;
  readonly scope: number;
  readonly index: number;
  /** IFA_ADDRESS. */
  readonly address?: string;
  /** IFA_LOCAL. */
  readonly local?: string;
  readonly broadcast?: string;
  readonly label?: string;
  /** IFA_PROTO: who added it. */
  readonly proto?: number;
  /** IFA_RT_PRIORITY: metric of the prefix route. */
  readonly metric?: number;
  readonly unknown?: readonly RawAttr[];
}

/** IFA_* ↔ Address fields, in the order requests carry them. */
const ADDRESS_ATTRS = new AttrTable<Address>([
  attrField(Ifa.local, "local", ipAttr),
  attrField(Ifa.address, "address", ipAttr),
  attrField(Ifa.broadcast, "broadcast", ipAttr),
  attrField(Ifa.label, "label", stringAttr),
  // ifa_flags carries the low 8 bits; IFA_FLAGS only when more are set.
  attrField(Ifa.flags, "flags", u32Attr, { omit: (f) => f <= 0xff }),
  attrField(Ifa.proto, "proto", u8Attr),
  attrField(Ifa.rtPriority, "metric", u32Attr),
]);

/** Decodes an ifaddrmsg + attributes. */
export function decodeAddress(p: Uint8Array, base = 0): Address {
  if (p.length < IFADDRMSG_LEN) throw new NetlinkDecodeError("short ifaddrmsg", base);
  const a: { -readonly [K in keyof Address]: Address[K] } = {
    family: p[0]!,
    prefixlen: p[1]!,
    flags: p[2]!,
    scope: p[3]!,
    index: viewOf(p).getUint32(4, HOST_LE),
  };
  ADDRESS_ATTRS.decode(p, IFADDRMSG_LEN, base, a);
  return a;
}

/** Writes an ifaddrmsg + attributes for `a`. */
export function encodeAddress(w: Writer, a: Address): void {
  w.u8(a.family);
  w.u8(a.prefixlen);
  w.u8(a.flags & 0xff);
  w.u8(a.scope);
  w.u32(a.index);
  ADDRESS_ATTRS.encode(w, a);
}
