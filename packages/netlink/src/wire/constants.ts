// Code points of the netlink and rtnetlink protocols, as the Linux UAPI
// headers define them: linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h, linux/neighbour.h, linux/veth.h. Each table is an `as const`
// object with a derived union type of its values.

/** Address families used by rtnetlink (linux/socket.h). */
export const AddressFamily = {
  unspec: 0,
  inet: 2,
  bridge: 7,
  inet6: 10,
  packet: 17,
  mpls: 28,
} as const;
/** One {@link AddressFamily} value. */
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** nlmsg_type values that netlink itself defines (linux/netlink.h). */
export const NlmsgType = {
  noop: 1,
  error: 2,
  done: 3,
  overrun: 4,
} as const;

/** rtnetlink message types (linux/rtnetlink.h, `RTM_*`). */
export const Rtm = {
  newLink: 16,
  delLink: 17,
  getLink: 18,
  setLink: 19,
  newAddr: 20,
  delAddr: 21,
  getAddr: 22,
  newRoute: 24,
  delRoute: 25,
  getRoute: 26,
  newNeigh: 28,
  delNeigh: 29,
  getNeigh: 30,
} as const;
/** One {@link Rtm} value. */
export type Rtm = (typeof Rtm)[keyof typeof Rtm];

/** nlmsg_flags bits (linux/netlink.h, `NLM_F_*`). */
export const NlmFlags = {
  request: 0x1,
  multi: 0x2,
  ack: 0x4,
  echo: 0x8,
  /** A dump was interrupted by a change: its result may be inconsistent. */
  dumpIntr: 0x10,
  dumpFiltered: 0x20,
  // Modifiers to GET requests.
  root: 0x100,
  match: 0x200,
  atomic: 0x400,
  dump: 0x300,
  // Modifiers to NEW requests.
  replace: 0x100,
  excl: 0x200,
  create: 0x400,
  append: 0x800,
  // Modifiers to DELETE requests.
  nonrec: 0x100,
  bulk: 0x200,
  // Flags of an NLMSG_ERROR (acknowledgement).
  capped: 0x100,
  ackTlvs: 0x200,
} as const;

/** Extended-ACK attributes inside NLMSG_ERROR (linux/netlink.h, `NLMSGERR_ATTR_*`). */
export const NlmsgerrAttr = {
  msg: 1,
  offs: 2,
  cookie: 3,
  policy: 4,
  missType: 5,
  missNest: 6,
} as const;

/** Attribute type flags in nla_type (linux/netlink.h). */
export const NLA_F_NESTED = 0x8000;
/** Attribute payload in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000;
/** Mask of the attribute type proper. */
export const NLA_TYPE_MASK = 0x3fff;

/** rtnetlink multicast groups (`RTNLGRP_*`), numbered from 1. */
export const RtnlGroup = {
  link: 1,
  notify: 2,
  neigh: 3,
  tc: 4,
  ipv4Ifaddr: 5,
  ipv4Mroute: 6,
  ipv4Route: 7,
  ipv4Rule: 8,
  ipv6Ifaddr: 9,
  ipv6Mroute: 10,
  ipv6Route: 11,
} as const;
/** One {@link RtnlGroup} name. */
export type RtnlGroupName = keyof typeof RtnlGroup;

/** Link attributes (linux/if_link.h, `IFLA_*`). */
export const Ifla = {
  address: 1,
  broadcast: 2,
  ifname: 3,
  mtu: 4,
  link: 5,
  qdisc: 6,
  stats: 7,
  master: 10,
  txqlen: 13,
  operstate: 16,
  linkmode: 17,
  linkinfo: 18,
  netNsPid: 19,
  ifalias: 20,
  group: 27,
  netNsFd: 28,
  extMask: 29,
  carrier: 33,
  linkNetnsid: 37,
  newNetnsid: 45,
  targetNetnsid: 46,
  minMtu: 50,
  maxMtu: 51,
  altIfname: 53,
  permAddress: 54,
} as const;

/** Nested in IFLA_LINKINFO (`IFLA_INFO_*`). */
export const IflaInfo = {
  kind: 1,
  data: 2,
  xstats: 3,
  slaveKind: 4,
  slaveData: 5,
} as const;

/** Nested in IFLA_INFO_DATA of a veth (linux/veth.h): the peer, as an ifinfomsg + IFLA_*. */
export const VETH_INFO_PEER = 1;

/** Nested in IFLA_INFO_DATA of a vxlan (`IFLA_VXLAN_*`). */
export const IflaVxlan = {
  id: 1,
  group: 2,
  link: 3,
  local: 4,
  ttl: 5,
  learning: 7,
  port: 15,
  group6: 16,
  local6: 17,
} as const;

/** ifi_flags bits (linux/if.h, `IFF_*`). */
export const Iff = {
  up: 0x1,
  broadcast: 0x2,
  loopback: 0x8,
  pointopoint: 0x10,
  running: 0x40,
  noarp: 0x80,
  promisc: 0x100,
  multicast: 0x1000,
  lowerUp: 0x10000,
} as const;

/** RFC 2863 operational states (IFLA_OPERSTATE, linux/if.h `IF_OPER_*`). */
export const OperState = {
  unknown: 0,
  notPresent: 1,
  down: 2,
  lowerLayerDown: 3,
  testing: 4,
  dormant: 5,
  up: 6,
} as const;

/** Address attributes (linux/if_addr.h, `IFA_*`). */
export const Ifa = {
  address: 1,
  local: 2,
  label: 3,
  broadcast: 4,
  anycast: 5,
  cacheinfo: 6,
  multicast: 7,
  flags: 8,
  rtPriority: 9,
  proto: 11,
} as const;

/** Address flags (`IFA_F_*`). */
export const IfaFlags = {
  secondary: 0x01,
  nodad: 0x02,
  optimistic: 0x04,
  dadfailed: 0x08,
  homeaddress: 0x10,
  deprecated: 0x20,
  tentative: 0x40,
  permanent: 0x80,
  managetempaddr: 0x100,
  noprefixroute: 0x200,
} as const;

/** Route attributes (linux/rtnetlink.h, `RTA_*`). */
export const Rta = {
  dst: 1,
  src: 2,
  iif: 3,
  oif: 4,
  gateway: 5,
  priority: 6,
  prefsrc: 7,
  metrics: 8,
  multipath: 9,
  flow: 11,
  cacheinfo: 12,
  table: 15,
  mark: 16,
  via: 18,
  pref: 20,
  encapType: 21,
  encap: 22,
  expires: 23,
  pad: 24,
  uid: 25,
  nhId: 30,
} as const;

/** Route types (`RTN_*`). */
export const RouteType = {
  unspec: 0,
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
} as const;
/** One {@link RouteType} name. */
export type RouteTypeName = keyof typeof RouteType;

/** Route scopes (`RT_SCOPE_*`). */
export const Scope = {
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
} as const;
/** One {@link Scope} name. */
export type ScopeName = keyof typeof Scope;

/**
 * Route protocols (`RTPROT_*`, and /etc/iproute2/rt_protos). The kernel does
 * not interpret values above `static`; they say who installed a route.
 */
export const RouteProtocol = {
  unspec: 0,
  redirect: 1,
  kernel: 2,
  boot: 3,
  static: 4,
  ra: 9,
  zebra: 11,
  bird: 12,
  dhcp: 16,
  keepalived: 18,
  babel: 42,
  /** Calico Felix's number ("felix" in Calico's docs). */
  felix: 80,
  /**
   * Tortie's own number: 84, ASCII "T". It collides with nothing in
   * iproute2's /etc/iproute2/rt_protos (0–18, 42, 99, 186–192), FRR's
   * rt_protos.d/frr.conf (186–197), the kernel's `RTPROT_*` (up to 18, 42,
   * 99, 186–192), BIRD (12) or Calico Felix (80). See README "Route protocol".
   */
  tortie: 84,
  openr: 99,
  bgp: 186,
  isis: 187,
  ospf: 188,
  rip: 189,
  eigrp: 192,
} as const;

/** Well-known routing tables (`RT_TABLE_*`). */
export const RouteTable = {
  unspec: 0,
  compat: 252,
  default: 253,
  main: 254,
  local: 255,
} as const;

/** rtm_flags bits (`RTM_F_*`) and next-hop flags (`RTNH_F_*`, shared by rtm_flags). */
export const RouteFlags = {
  dead: 0x1,
  pervasive: 0x2,
  /** Gateway is on-link even if no prefix says so (`ip route … onlink`). */
  onlink: 0x4,
  offload: 0x8,
  linkdown: 0x10,
  unresolved: 0x20,
  notify: 0x100,
  cloned: 0x200,
  lookupTable: 0x1000,
  fibMatch: 0x2000,
} as const;

/** Neighbour attributes (linux/neighbour.h, `NDA_*`). */
export const Nda = {
  dst: 1,
  lladdr: 2,
  cacheinfo: 3,
  probes: 4,
  vlan: 5,
  port: 6,
  vni: 7,
  ifindex: 8,
  master: 9,
  protocol: 12,
} as const;

/** Neighbour states (`NUD_*`). */
export const NudState = {
  none: 0x00,
  incomplete: 0x01,
  reachable: 0x02,
  stale: 0x04,
  delay: 0x08,
  probe: 0x10,
  failed: 0x20,
  noarp: 0x40,
  permanent: 0x80,
} as const;

/** Neighbour flags (`NTF_*`). */
export const NtfFlags = {
  use: 0x01,
  self: 0x02,
  master: 0x04,
  proxy: 0x08,
  extLearned: 0x10,
  router: 0x80,
} as const;
