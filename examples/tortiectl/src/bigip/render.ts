// The BIG-IP side of a Calico-style peering, rendered from the cluster's own
// resources — pure: plain inputs in, configuration text out.
//
// F5's "Kubernetes + Calico" lab configures BIG-IP in two steps:
//   1. tmsh: enable BGP on the route domain
//        tmsh modify net route-domain 0 routing-protocol add { BGP }
//   2. imish (ZebOS, an industry-standard CLI much like FRR's vtysh):
//        router bgp 64512
//         neighbor calico-k8s peer-group
//         neighbor calico-k8s remote-as 64512
//         neighbor <node-ip> peer-group calico-k8s      (one per node)
// `--format frr` renders the same peering for FRR's bgpd, which the lab runs as
// its BIG-IP stand-in; since both come from one model, a test that FRR learns
// every block from the agents checks the tmsh/imish text's neighbours too.
import { parseSelector } from "@tortie/selector";

/** A node as the BIG-IP side needs it. */
export interface BigipNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** BGP IPv4 address without a mask (Node `spec.bgp.ipv4Address`). */
  readonly ipv4?: string;
  /** BGP IPv6 address without a mask (Node `spec.bgp.ipv6Address`). */
  readonly ipv6?: string;
  /** Per-node AS (Node `spec.bgp.asNumber`); the cluster AS when absent. */
  readonly asNumber?: number;
}

/** The BGPPeer that stands for BIG-IP. */
export interface BigipPeer {
  readonly name: string;
  /** BIG-IP's own address: `peerIP`, without any `:port`. */
  readonly address: string;
  /** BIG-IP's AS (`asNumber` of the BGPPeer). */
  readonly asNumber: number;
  /** `spec.node`: this peer applies to one node only. */
  readonly node?: string;
  /** `spec.nodeSelector`: the nodes that peer with BIG-IP. */
  readonly nodeSelector?: string;
  /** `spec.maxRestartTime` in seconds: turns on graceful restart. */
  readonly restartTimeSeconds?: number;
  /** The peer carries a `password` (TCP-MD5, RFC 2385). */
  readonly hasPassword: boolean;
}

/** What the rendering needs beyond the resources. */
export interface BigipRenderOptions {
  readonly format: "tmsh" | "frr";
  /** Name of the peer-group (F5's lab: `calico-k8s`). */
  readonly peerGroup?: string;
  /** The TCP-MD5 secret, required when the BGPPeer has a password. */
  readonly password?: string;
  /** Add BFD (BIG-IP: the BFD routing protocol and `fall-over bfd`). */
  readonly bfd?: boolean;
  /** The route domain on BIG-IP (default 0). */
  readonly routeDomain?: number;
}

/** The cluster as the renderer sees it. */
export interface BigipInputs {
  /** The cluster AS: `asNumber` of the default BGPConfiguration (64512). */
  readonly clusterAs: number;
  readonly nodes: readonly BigipNode[];
  readonly peer: BigipPeer;
}

/** A problem that makes the configuration impossible to render. */
export class BigipRenderError extends Error {
  override readonly name = "BigipRenderError";
}

/** The nodes that peer with `peer`, as Calico's confd chooses them. */
export function peeringNodes(inputs: BigipInputs): BigipNode[] {
  const { peer, nodes } = inputs;
  // A BGPPeer with neither `node` nor `nodeSelector` is global: every node
  // peers with it (Calico's BGPPeer documentation, "global peer").
  if (peer.node !== undefined) return nodes.filter((n) => n.name === peer.node);
  if (peer.nodeSelector !== undefined && peer.nodeSelector.trim() !== "") {
    const sel = parseSelector(peer.nodeSelector);
    return nodes.filter((n) => sel.evaluate(n.labels));
  }
  return [...nodes];
}

/** Renders the BIG-IP (tmsh + imish) or FRR configuration text. */
export function renderBigipConfig(inputs: BigipInputs, opts: BigipRenderOptions): string {
  const group = opts.peerGroup ?? "calico-k8s";
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(group)) {
    throw new BigipRenderError(`peer-group name ${JSON.stringify(group)} is not a valid name`);
  }
  if (inputs.peer.hasPassword && opts.password === undefined) {
    throw new BigipRenderError(
      `BGPPeer ${inputs.peer.name} uses a password (TCP-MD5): pass the same secret with --password-file`,
    );
  }
  if (opts.password !== undefined && !/^[\x21-\x7e]{1,80}$/.test(opts.password)) {
    // RFC 2385 keys are octet strings, but both CLIs take one word of
    // printable ASCII; refuse anything that would break the pasted text.
    throw new BigipRenderError(
      "the TCP-MD5 secret must be 1-80 printable ASCII characters, no spaces",
    );
  }
  const members = peeringNodes(inputs)
    .filter((n) => n.ipv4 !== undefined || n.ipv6 !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (members.length === 0) {
    throw new BigipRenderError(
      `no node with a BGP address peers with BGPPeer ${inputs.peer.name} (check the nodes' spec.bgp and the peer's node/nodeSelector)`,
    );
  }
  const ases = new Set(members.map((n) => n.asNumber ?? inputs.clusterAs));
  const uniformAs = ases.size === 1 ? [...ases][0]! : undefined;
  const v4 = members.filter((n) => n.ipv4 !== undefined);
  const v6 = members.filter((n) => n.ipv6 !== undefined);
  const groups: { name: string; family: "ipv4" | "ipv6"; nodes: BigipNode[] }[] = [];
  if (v4.length > 0) groups.push({ name: group, family: "ipv4", nodes: v4 });
  if (v6.length > 0) groups.push({ name: `${group}-v6`, family: "ipv6", nodes: v6 });

  const bgp: string[] = [];
  const { peer } = inputs;
  if (opts.format === "frr") {
    bgp.push(` bgp router-id ${routerIdOf(peer.address)}`);
    bgp.push(" no bgp ebgp-requires-policy", " no bgp network import-check");
    bgp.push(" no bgp default ipv4-unicast");
  }
  if (peer.restartTimeSeconds !== undefined) {
    // RFC 4724: BIG-IP (ZebOS) and FRR both take `bgp graceful-restart`
    // and a restart time in seconds.
    bgp.push(" bgp graceful-restart");
    bgp.push(` bgp graceful-restart restart-time ${peer.restartTimeSeconds}`);
  }
  for (const g of groups) {
    bgp.push(` neighbor ${g.name} peer-group`);
    if (uniformAs !== undefined) bgp.push(` neighbor ${g.name} remote-as ${uniformAs}`);
    if (opts.password !== undefined) bgp.push(` neighbor ${g.name} password ${opts.password}`);
    if (opts.bfd)
      bgp.push(` neighbor ${g.name} ${opts.format === "frr" ? "bfd" : "fall-over bfd"}`);
    for (const n of g.nodes) {
      const addr = g.family === "ipv4" ? n.ipv4! : n.ipv6!;
      if (uniformAs === undefined)
        bgp.push(` neighbor ${addr} remote-as ${n.asNumber ?? inputs.clusterAs}`);
      bgp.push(` neighbor ${addr} peer-group ${g.name}`);
    }
  }
  for (const g of groups) {
    bgp.push(` address-family ${g.family} unicast`);
    bgp.push(`  neighbor ${g.name} activate`);
    bgp.push(" exit-address-family");
  }

  const summary = `BGPPeer ${peer.name}: BIG-IP ${peer.address} AS ${peer.asNumber}, ${members.length} node(s): ${members
    .map((n) => n.name)
    .join(", ")}`;
  if (opts.format === "frr") {
    return [
      `! FRR bgpd configuration equivalent to BIG-IP's, from the Tortie datastore`,
      `! ${summary}`,
      "frr defaults traditional",
      "!",
      `router bgp ${peer.asNumber}`,
      ...bgp,
      "!",
      "",
    ].join("\n");
  }
  const rd = opts.routeDomain ?? 0;
  const protocols = opts.bfd ? "BGP BFD" : "BGP";
  return [
    `# BIG-IP side of the peering, from the Tortie datastore`,
    `# ${summary}`,
    "# 1. Enable the routing protocol on the route domain (bash on BIG-IP):",
    `tmsh modify net route-domain ${rd} routing-protocol add { ${protocols} }`,
    "# 2. Configure BGP in ZebOS; paste the lines below, then check with",
    "#    'show ip bgp neighbors' and 'show ip route bgp':",
    `imish -r ${rd}`,
    "enable",
    "configure terminal",
    `router bgp ${peer.asNumber}`,
    ...bgp,
    "end",
    "write",
    "",
  ].join("\n");
}

// FRR needs an IPv4 router id; for an IPv6-only BIG-IP address derive none and
// let the operator set one.
function routerIdOf(address: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return address;
  throw new BigipRenderError(
    `BIG-IP address ${address} is not IPv4: FRR needs an IPv4 router id; give the BGPPeer an IPv4 peerIP`,
  );
}

/** Splits Calico's `peerIP` (`ip`, `ip:port`, `[v6]:port`) into address and port. */
export function parsePeerIP(peerIP: string): { address: string; port?: number } {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(peerIP);
  if (v6) return v6[2] ? { address: v6[1]!, port: Number(v6[2]) } : { address: v6[1]! };
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(peerIP);
  if (v4) return v4[2] ? { address: v4[1]!, port: Number(v4[2]) } : { address: v4[1]! };
  return { address: peerIP };
}

/** Calico durations (`120s`, `2m`, `1h30m`) in whole seconds. */
export function durationSeconds(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    const v = Number(m[1]);
    total += m[2] === "h" ? v * 3600 : m[2] === "m" ? v * 60 : m[2] === "s" ? v : v / 1000;
    consumed += m[0].length;
  }
  if (consumed !== text.length || text.length === 0) {
    throw new BigipRenderError(`${JSON.stringify(text)} is not a duration such as 120s or 2m`);
  }
  return Math.round(total);
}
