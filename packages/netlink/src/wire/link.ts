// Links: struct ifinfomsg + IFLA_* attributes (linux/rtnetlink.h,
// linux/if_link.h), for RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK / RTM_SETLINK.
//
// struct ifinfomsg (16 bytes):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ifi_family   |   (padding)   |     ifi_type (ARPHRD_*)       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                      ifi_index (int)                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                      ifi_flags (IFF_*)                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                      ifi_change (mask)                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | IFLA_* attributes …
//
// IFLA_LINKINFO nests IFLA_INFO_KIND ("veth", "bridge", "dummy", "vxlan")
// and IFLA_INFO_DATA; a veth's data nests VETH_INFO_PEER, which holds a whole
// ifinfomsg + IFLA_* for the peer (so the peer can be named and placed in
// another namespace with IFLA_NET_NS_FD in the same request).
import {
  AttrTable,
  attrField,
  be16Attr,
  boolAttr,
  i32Attr,
  ipAttrByFamily,
  macAttr,
  stringAttr,
  u8Attr,
  u32Attr,
} from "./attr-table.js";
import {
  copyBytes,
  forEachAttr,
  HOST_LE,
  type RawAttr,
  readString,
  viewOf,
  type Writer,
} from "./bytes.js";
import { Ifla, IflaInfo, IflaVxlan, NLA_F_NESTED, VETH_INFO_PEER } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";

/** Size of struct ifinfomsg. */
export const IFINFOMSG_LEN = 16;

/** VXLAN parameters (IFLA_VXLAN_*). */
export interface VxlanInfo {
  readonly id?: number;
  /** Remote multicast group or unicast peer (IPv4 or IPv6). */
  readonly group?: string;
  /** Local source address (IPv4 or IPv6). */
  readonly local?: string;
  /** Underlay interface index. */
  readonly link?: number;
  /** UDP destination port (host number; network order on the wire). */
  readonly port?: number;
  readonly learning?: boolean;
  readonly ttl?: number;
  readonly unknown?: readonly RawAttr[];
}

/** IFLA_LINKINFO: the link's kind and kind-specific data. */
export interface LinkInfo {
  /** IFLA_INFO_KIND: "veth", "bridge", "dummy", "vxlan", … */
  readonly kind: string;
  /** veth: the peer (VETH_INFO_PEER), in requests that create a pair. */
  readonly peer?: Link;
  /** vxlan: its parameters. */
  readonly vxlan?: VxlanInfo;
  /** IFLA_INFO_DATA of other kinds, raw. */
  readonly data?: Uint8Array;
  /** IFLA_INFO_SLAVE_KIND: the master's kind when enslaved ("bridge"). */
  readonly slaveKind?: string;
  readonly unknown?: readonly RawAttr[];
}

/** A link (network interface) as rtnetlink describes it. */
export interface Link {
  readonly family?: number;
  /** ARPHRD_* hardware type. */
  readonly type?: number;
  /** ifindex; 0 in a request means "pick one" / "by name". */
  readonly index: number;
  /** IFF_* flags. */
  readonly flags?: number;
  /** Mask of IFF_* flags a request changes. */
  readonly change?: number;
  readonly name?: string;
  readonly mtu?: number;
  /** Link-layer address ("02:00:5e:00:53:01"). */
  readonly address?: string;
  readonly broadcast?: string;
  /** IFLA_OPERSTATE (RFC 2863). */
  readonly operstate?: number;
  /** ifindex of the master (bridge); 0 in a request releases it. */
  readonly master?: number;
  /** IFLA_LINK: the peer's or lower device's ifindex (maybe in another namespace). */
  readonly link?: number;
  /** IFLA_LINK_NETNSID: namespace id of IFLA_LINK's device. */
  readonly linkNetnsid?: number;
  readonly txqlen?: number;
  /** IFLA_NET_NS_FD (requests): move or create in the namespace of this fd. */
  readonly netnsFd?: number;
  /** IFLA_NET_NS_PID (requests): move or create in the namespace of this pid. */
  readonly netnsPid?: number;
  readonly info?: LinkInfo;
  /** Attributes this codec does not interpret, kept verbatim. */
  readonly unknown?: readonly RawAttr[];
}

/** IFLA_* ↔ Link fields, in the order requests carry them. */
const LINK_ATTRS = new AttrTable<Link>([
  attrField(Ifla.ifname, "name", stringAttr),
  attrField(Ifla.mtu, "mtu", u32Attr),
  attrField(Ifla.address, "address", macAttr),
  attrField(Ifla.broadcast, "broadcast", macAttr),
  attrField(Ifla.operstate, "operstate", u8Attr),
  attrField(Ifla.master, "master", u32Attr),
  attrField(Ifla.link, "link", u32Attr),
  attrField(Ifla.linkNetnsid, "linkNetnsid", i32Attr),
  attrField(Ifla.txqlen, "txqlen", u32Attr),
  attrField(Ifla.netNsFd, "netnsFd", u32Attr),
  attrField(Ifla.netNsPid, "netnsPid", u32Attr),
  // A nest (always written with NLA_F_NESTED).
  attrField(Ifla.linkinfo, "info", { read: decodeLinkInfo, write: encodeLinkInfo }),
]);

/** IFLA_VXLAN_* ↔ VxlanInfo fields, in the order requests carry them. */
const VXLAN_ATTRS = new AttrTable<VxlanInfo>([
  attrField(IflaVxlan.id, "id", u32Attr),
  attrField(IflaVxlan.group, "group", ipAttrByFamily(IflaVxlan.group6), {
    alsoReads: [IflaVxlan.group6],
  }),
  attrField(IflaVxlan.local, "local", ipAttrByFamily(IflaVxlan.local6), {
    alsoReads: [IflaVxlan.local6],
  }),
  attrField(IflaVxlan.link, "link", u32Attr),
  attrField(IflaVxlan.ttl, "ttl", u8Attr),
  attrField(IflaVxlan.learning, "learning", boolAttr),
  // UDP port in network byte order.
  attrField(IflaVxlan.port, "port", be16Attr),
]);

/** Decodes an ifinfomsg + attributes (a message payload). */
export function decodeLink(p: Uint8Array, base = 0): Link {
  if (p.length < IFINFOMSG_LEN) throw new NetlinkDecodeError("short ifinfomsg", base);
  const v = viewOf(p);
  const l: {
    -readonly [K in keyof Link]: Link[K];
  } = {
    family: p[0]!,
    type: v.getUint16(2, HOST_LE),
    index: v.getInt32(4, HOST_LE),
    flags: v.getUint32(8, HOST_LE),
    change: v.getUint32(12, HOST_LE),
  };
  LINK_ATTRS.decode(p, IFINFOMSG_LEN, base, l);
  return l;
}

function decodeLinkInfo(b: Uint8Array, base: number): LinkInfo {
  let kind = "";
  let dataRaw: Uint8Array | undefined;
  let slaveKind: string | undefined;
  const unknown: RawAttr[] = [];
  forEachAttr(b, 0, b.length, base, (type, val, raw) => {
    if (type === IflaInfo.kind) kind = readString(val);
    else if (type === IflaInfo.data) dataRaw = val;
    else if (type === IflaInfo.slaveKind) slaveKind = readString(val);
    else unknown.push({ type: raw, value: copyBytes(val) });
  });
  const info: { -readonly [K in keyof LinkInfo]: LinkInfo[K] } = { kind };
  if (dataRaw) {
    if (kind === "veth") {
      forEachAttr(dataRaw, 0, dataRaw.length, base, (type, val) => {
        if (type === VETH_INFO_PEER) info.peer = decodeLink(val, base);
      });
    } else if (kind === "vxlan") info.vxlan = decodeVxlan(dataRaw, base);
    else info.data = copyBytes(dataRaw);
  }
  if (slaveKind !== undefined) info.slaveKind = slaveKind;
  if (unknown.length) info.unknown = unknown;
  return info;
}

function decodeVxlan(b: Uint8Array, base: number): VxlanInfo {
  const x: { -readonly [K in keyof VxlanInfo]: VxlanInfo[K] } = {};
  VXLAN_ATTRS.decode(b, 0, base, x);
  return x;
}

/** Writes an ifinfomsg + attributes for `l` (the payload of a link message). */
export function encodeLink(w: Writer, l: Link): void {
  w.u8(l.family ?? 0);
  w.u8(0);
  w.u16(l.type ?? 0);
  w.i32(l.index);
  w.u32(l.flags ?? 0);
  w.u32(l.change ?? 0);
  LINK_ATTRS.encode(w, l);
}

function encodeLinkInfo(w: Writer, type: number, info: LinkInfo): void {
  const li = w.beginAttr(type | NLA_F_NESTED);
  w.attrString(IflaInfo.kind, info.kind);
  if (info.peer) {
    const d = w.beginAttr(IflaInfo.data | NLA_F_NESTED);
    const p = w.beginAttr(VETH_INFO_PEER | NLA_F_NESTED);
    encodeLink(w, info.peer);
    w.endAttr(p);
    w.endAttr(d);
  } else if (info.vxlan) {
    const d = w.beginAttr(IflaInfo.data | NLA_F_NESTED);
    VXLAN_ATTRS.encode(w, info.vxlan);
    w.endAttr(d);
  } else if (info.data) {
    w.attrBytes(IflaInfo.data | NLA_F_NESTED, info.data);
  }
  if (info.slaveKind !== undefined) w.attrString(IflaInfo.slaveKind, info.slaveKind);
  for (const a of info.unknown ?? []) w.attrBytes(a.type, a.value);
  w.endAttr(li);
}
