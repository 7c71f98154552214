// Neighbours: struct ndmsg + NDA_* attributes (linux/neighbour.h), for
// RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH — the ARP (IPv4) and NDP (IPv6)
// caches; static entries have state NUD_PERMANENT.
//
// struct ndmsg (12 bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ndm_family   |   (pad1)      |           (pad2)              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        ndm_ifindex                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   ndm_state (NUD_*)           |  ndm_flags    |   ndm_type    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import {
  copyBytes,
  forEachAttr,
  HOST_LE,
  type RawAttr,
  readU8,
  readU32,
  viewOf,
  type Writer,
} from "./bytes.js";
import { Nda } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";
import { formatIP, formatMac, parseIP, parseMac } from "./ip.js";

/** Size of struct ndmsg. */
export const NDMSG_LEN = 12;

/** A neighbour (ARP/NDP) entry. */
export interface Neighbour {
  readonly family: number;
  readonly index: number;
  /** NUD_* state bits. */
  readonly state: number;
  /** NTF_* flags. */
  readonly flags: number;
  /** RTN_* type (usually unicast). */
  readonly type: number;
  /** NDA_DST: the IP address. */
  readonly dst?: string;
  /** NDA_LLADDR: the link-layer address. */
  readonly lladdr?: string;
  /** NDA_PROBES. */
  readonly probes?: number;
  /** NDA_PROTOCOL: who added it. */
  readonly protocol?: number;
  readonly unknown?: readonly RawAttr[];
}

/** Decodes an ndmsg + attributes. */
export function decodeNeighbour(p: Uint8Array, base = 0): Neighbour {
  if (p.length < NDMSG_LEN) throw new NetlinkDecodeError("short ndmsg", base);
  const v = viewOf(p);
  const n: { -readonly [K in keyof Neighbour]: Neighbour[K] } = {
    family: p[0]!,
    index: v.getInt32(4, HOST_LE),
    state: v.getUint16(8, HOST_LE),
    flags: p[10]!,
    type: p[11]!,
  };
  const unknown: RawAttr[] = [];
  forEachAttr(p, NDMSG_LEN, p.length, base, (type, val, raw) => {
    switch (type) {
      case Nda.dst:
        n.dst = formatIP(val);
        break;
      case Nda.lladdr:
        n.lladdr = formatMac(val);
        break;
      case Nda.probes:
        n.probes = readU32(val, base);
        break;
      case Nda.protocol:
        n.protocol = readU8(val, base);
        break;
      default:
        unknown.push({ type: raw, value: copyBytes(val) });
    }
  });
  if (unknown.length) n.unknown = unknown;
  return n;
}

/** Writes an ndmsg + attributes for `n`. */
export function encodeNeighbour(w: Writer, n: Neighbour): void {
  w.u8(n.family);
  w.u8(0);
  w.u16(0);
  w.i32(n.index);
  w.u16(n.state);
  w.u8(n.flags);
  w.u8(n.type);
  if (n.dst !== undefined) w.attrBytes(Nda.dst, parseIP(n.dst));
  if (n.lladdr !== undefined) w.attrBytes(Nda.lladdr, parseMac(n.lladdr));
  if (n.probes !== undefined) w.attrU32(Nda.probes, n.probes);
  if (n.protocol !== undefined) w.attrU8(Nda.protocol, n.protocol);
  for (const u of n.unknown ?? []) w.attrBytes(u.type, u.value);
}
