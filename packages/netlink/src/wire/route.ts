// Routes: struct rtmsg + RTA_* attributes (linux/rtnetlink.h), for
// RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE.
//
// struct rtmsg (12 bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  rtm_family   |  rtm_dst_len  |  rtm_src_len  |    rtm_tos    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  rtm_table    | rtm_protocol  |   rtm_scope   |   rtm_type    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 rtm_flags (RTM_F_*, RTNH_F_ONLINK)            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RTA_MULTIPATH (ECMP) holds a run of struct rtnexthop, each followed by its
// own attributes (RTA_GATEWAY, RTA_VIA) and aligned to 4 bytes:
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     rtnh_len (incl. attrs)    |  rtnh_flags   |   rtnh_hops   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                      rtnh_ifindex                             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// rtnh_hops is weight − 1. RTA_VIA (struct rtvia: a u16 address family, then
// the address) names a gateway of another family than the route — an IPv6
// next hop for an IPv4 route (RFC 5549 style, `ip route add … via inet6 …`).
// A table id above 255 goes in RTA_TABLE (u32), with rtm_table = RT_TABLE_UNSPEC.
import { align4, forEachAttr, HOST_LE, type RawAttr, viewOf, type Writer } from "./bytes.js";
import { AddressFamily, NLA_TYPE_MASK, Rta } from "./constants.js";
import { NetlinkDecodeError, NetlinkInputError } from "./errors.js";
import { formatIP, formatIPAt, parseIP, parsePrefix } from "./ip.js";

/** Size of struct rtmsg. */
export const RTMSG_LEN = 12;
/** Size of struct rtnexthop. */
export const RTNH_LEN = 8;

/** One next hop of a multipath (ECMP) route. */
export interface Nexthop {
  /** RTA_GATEWAY, same family as the route. */
  readonly gateway?: string;
  /** RTA_VIA, a gateway of the other family. */
  readonly via?: string;
  /** Outgoing interface index (0: none). */
  readonly oif?: number;
  /** ECMP weight, 1–256 (rtnh_hops + 1). */
  readonly weight?: number;
  /** RTNH_F_* flags (e.g. onlink). */
  readonly flags?: number;
}

/** A route as rtnetlink describes it. */
export interface Route {
  /** AF_INET (2) or AF_INET6 (10). */
  readonly family: number;
  /** Destination prefix, e.g. "198.51.100.0/24"; "0.0.0.0/0" or "::/0" for default. */
  readonly dst: string;
  /** Source prefix (RTA_SRC + rtm_src_len), for source-specific IPv6 routes. */
  readonly src?: string;
  readonly tos?: number;
  /** Routing table id (254 = main). */
  readonly table: number;
  /** RTPROT_* (who installed it). */
  readonly protocol: number;
  /** RT_SCOPE_*. */
  readonly scope: number;
  /** RTN_*: unicast, blackhole, unreachable, prohibit, local, … */
  readonly type: number;
  /** RTM_F_* / RTNH_F_* flags (onlink is 0x4). */
  readonly flags?: number;
  /** Metric (RTA_PRIORITY). */
  readonly priority?: number;
  readonly gateway?: string;
  readonly via?: string;
  /** Outgoing interface index. */
  readonly oif?: number;
  /** Incoming interface index (route lookups). */
  readonly iif?: number;
  /** Preferred source address. */
  readonly prefsrc?: string;
  /** ECMP next hops (RTA_MULTIPATH). */
  readonly multipath?: readonly Nexthop[];
  readonly unknown?: readonly RawAttr[];
}

function decodeVia(v: Uint8Array, at: number): string {
  if (v.length < 2) throw new NetlinkDecodeError("short rtvia", at);
  return formatIP(v.subarray(2));
}

function decodeMultipath(b: Uint8Array, base: number): Nexthop[] {
  const out: Nexthop[] = [];
  const v = viewOf(b);
  let off = 0;
  while (off + RTNH_LEN <= b.length) {
    const len = v.getUint16(off, HOST_LE);
    if (len < RTNH_LEN || off + len > b.length) {
      throw new NetlinkDecodeError(`rtnexthop length ${len} out of bounds`, base + off);
    }
    const nh: { -readonly [K in keyof Nexthop]: Nexthop[K] } = {
      flags: b[off + 2]!,
      weight: b[off + 3]! + 1,
      oif: v.getInt32(off + 4, HOST_LE),
    };
    forEachAttr(b, off + RTNH_LEN, off + len, base, (type, val) => {
      if (type === Rta.gateway) nh.gateway = formatIP(val);
      else if (type === Rta.via) nh.via = decodeVia(val, base);
    });
    out.push(nh);
    off += align4(len);
  }
  return out;
}

/** Decodes an rtmsg + attributes. */
export function decodeRoute(p: Uint8Array, base = 0): Route {
  if (p.length < RTMSG_LEN) throw new NetlinkDecodeError("short rtmsg", base);
  const family = p[0]!;
  const dstLen = p[1]!;
  const srcLen = p[2]!;
  // Every field is present (undefined when absent) so that all decoded routes
  // share one object shape: the reconciler compares hundreds of thousands.
  const r: { -readonly [K in keyof Route]: Route[K] } = {
    family,
    dst: "",
    src: undefined,
    tos: p[3]!,
    table: p[4]!,
    protocol: p[5]!,
    scope: p[6]!,
    type: p[7]!,
    flags: u32Attr(p, 8, 4, base),
    priority: undefined,
    gateway: undefined,
    via: undefined,
    oif: undefined,
    iif: undefined,
    prefsrc: undefined,
    multipath: undefined,
    unknown: undefined,
  };
  // The attribute walk is written out (no callback, no views for fixed-size
  // attributes): a 100,000-route dump goes through here 100,000 times.
  let dstAt = -1;
  let dstBytes = 0;
  let unknown: RawAttr[] | undefined;
  let off = RTMSG_LEN;
  const end = p.length;
  while (off + 4 <= end) {
    const len = u16At(p, off);
    const raw = u16At(p, off + 2);
    if (len < 4 || off + len > end) {
      throw new NetlinkDecodeError(`attribute length ${len} out of bounds`, base + off);
    }
    const v = off + 4;
    const n = len - 4;
    switch (raw & NLA_TYPE_MASK) {
      case Rta.dst:
        dstAt = v;
        dstBytes = n;
        break;
      case Rta.src:
        r.src = `${formatIPAt(p, v, n)}/${srcLen}`;
        break;
      case Rta.table:
        r.table = u32Attr(p, v, n, base + off);
        break;
      case Rta.priority:
        r.priority = u32Attr(p, v, n, base + off);
        break;
      case Rta.gateway:
        r.gateway = formatIPAt(p, v, n);
        break;
      case Rta.via:
        r.via = decodeVia(p.subarray(v, v + n), base + off);
        break;
      case Rta.oif:
        r.oif = u32Attr(p, v, n, base + off);
        break;
      case Rta.iif:
        r.iif = u32Attr(p, v, n, base + off);
        break;
      case Rta.prefsrc:
        r.prefsrc = formatIPAt(p, v, n);
        break;
      case Rta.multipath:
        r.multipath = decodeMultipath(p.subarray(v, v + n), base + off);
        break;
      default:
        if (!unknown) unknown = [];
        unknown.push({ type: raw, value: p.slice(v, v + n) });
    }
    off += align4(len);
  }
  if (off < end && end - off < 4 && p.subarray(off, end).some((x) => x !== 0)) {
    throw new NetlinkDecodeError("trailing bytes after attributes", base + off);
  }
  if (dstAt >= 0) r.dst = `${formatIPAt(p, dstAt, dstBytes)}/${dstLen}`;
  else if (family === AddressFamily.inet) r.dst = `0.0.0.0/${dstLen}`;
  else if (family === AddressFamily.inet6) r.dst = `::/${dstLen}`;
  else r.dst = `/${dstLen}`;
  if (unknown) r.unknown = unknown;
  return r;
}

function u16At(b: Uint8Array, at: number): number {
  return HOST_LE ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}

function u32Attr(b: Uint8Array, at: number, n: number, where: number): number {
  if (n < 4) throw new NetlinkDecodeError("u32 attribute too short", where);
  return HOST_LE
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeVia(w: Writer, via: string): void {
  const a = parseIP(via);
  const at = w.beginAttr(Rta.via);
  w.u16(a.length === 4 ? AddressFamily.inet : AddressFamily.inet6);
  w.bytes(a);
  w.endAttr(at);
}

/**
 * Writes an rtmsg + attributes for `r`. The destination must be of the
 * route's family; gateways of the wrong family are encoded as given and left
 * to the kernel to refuse (it says why in its extended ACK).
 */
export function encodeRoute(w: Writer, r: Route): void {
  const dst = r.dst === "" ? undefined : parsePrefix(r.dst, true);
  if (dst && dst.family !== r.family) {
    throw new NetlinkInputError(`destination ${r.dst} is not of family ${r.family}`);
  }
  const src = r.src !== undefined ? parsePrefix(r.src, true) : undefined;
  w.u8(r.family);
  w.u8(dst?.len ?? 0);
  w.u8(src?.len ?? 0);
  w.u8(r.tos ?? 0);
  w.u8(r.table < 256 ? r.table : 0);
  w.u8(r.protocol);
  w.u8(r.scope);
  w.u8(r.type);
  w.u32(r.flags ?? 0);
  if (r.table >= 256) w.attrU32(Rta.table, r.table);
  if (dst && dst.len > 0) w.attrBytes(Rta.dst, dst.addr);
  if (src && src.len > 0) w.attrBytes(Rta.src, src.addr);
  if (r.priority !== undefined) w.attrU32(Rta.priority, r.priority);
  if (r.prefsrc !== undefined) {
    w.attrBytes(Rta.prefsrc, parseIP(r.prefsrc));
  }
  if (r.gateway !== undefined) {
    w.attrBytes(Rta.gateway, parseIP(r.gateway));
  }
  if (r.via !== undefined) writeVia(w, r.via);
  if (r.oif !== undefined) w.attrU32(Rta.oif, r.oif);
  if (r.iif !== undefined) w.attrU32(Rta.iif, r.iif);
  if (r.multipath?.length) {
    const mp = w.beginAttr(Rta.multipath);
    for (const nh of r.multipath) {
      const weight = nh.weight ?? 1;
      if (weight < 1 || weight > 256)
        throw new NetlinkInputError(`ECMP weight ${weight} not 1–256`);
      const at = w.length;
      w.u16(0);
      w.u8(nh.flags ?? 0);
      w.u8(weight - 1);
      w.i32(nh.oif ?? 0);
      if (nh.gateway !== undefined) {
        w.attrBytes(Rta.gateway, parseIP(nh.gateway));
      }
      if (nh.via !== undefined) writeVia(w, nh.via);
      w.patch16(at, w.length - at);
    }
    w.endAttr(mp);
  }
  for (const u of r.unknown ?? []) w.attrBytes(u.type, u.value);
}
