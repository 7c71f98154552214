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
import {
  copyBytes,
  forEachAttr,
  HOST_LE,
  type RawAttr,
  readString,
  readU8,
  readU32,
  viewOf,
  type Writer,
} from "./bytes.js";
import { Ifa } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";
import { formatIP, parseIP } from "./ip.js";

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
  const unknown: RawAttr[] = [];
  forEachAttr(p, IFADDRMSG_LEN, p.length, base, (type, val, raw) => {
    switch (type) {
      case Ifa.address:
        a.address = formatIP(val);
        break;
      case Ifa.local:
        a.local = formatIP(val);
        break;
      case Ifa.broadcast:
        a.broadcast = formatIP(val);
        break;
      case Ifa.label:
        a.label = readString(val);
        break;
      case Ifa.flags:
        a.flags = readU32(val, base);
        break;
      case Ifa.proto:
        a.proto = readU8(val, base);
        break;
      case Ifa.rtPriority:
        a.metric = readU32(val, base);
        break;
      default:
        unknown.push({ type: raw, value: copyBytes(val) });
    }
  });
  if (unknown.length) a.unknown = unknown;
  return a;
}

/** Writes an ifaddrmsg + attributes for `a`. */
export function encodeAddress(w: Writer, a: Address): void {
  w.u8(a.family);
  w.u8(a.prefixlen);
  w.u8(a.flags & 0xff);
  w.u8(a.scope);
  w.u32(a.index);
  if (a.local !== undefined) w.attrBytes(Ifa.local, parseIP(a.local));
  if (a.address !== undefined) w.attrBytes(Ifa.address, parseIP(a.address));
  if (a.broadcast !== undefined) w.attrBytes(Ifa.broadcast, parseIP(a.broadcast));
  if (a.label !== undefined) w.attrString(Ifa.label, a.label);
  if (a.flags > 0xff) w.attrU32(Ifa.flags, a.flags);
  if (a.proto !== undefined) w.attrU8(Ifa.proto, a.proto);
  if (a.metric !== undefined) w.attrU32(Ifa.rtPriority, a.metric);
  for (const u of a.unknown ?? []) w.attrBytes(u.type, u.value);
}
