// The routing picture as data (pure): nodes, external peers, BGP sessions,
// each node's IPAM blocks and the pods in them. `tortiectl graph` and
// `tortiectl dashboard` both draw this model; it is built from what the
// datastore holds — Calico resources, IPAM blocks and the agents' status
// records — and from nothing else.
//
// Session state. Each agent reports its own side of its sessions in its
// status record, and writes the record when something in it changes and
// otherwise every 30 s (a heartbeat), so within those 30 s a record's age
// does not tell a live agent from a dead one. A killed agent cannot report anything; its peers can: their side of
// the session goes down (the TCP connection is gone, RFC 4271 §8.2.2) and
// they write that within a fraction of a second. So:
//   - a node is "silent" when its record still calls a session to another
//     node Established while that node reports the same session down: the
//     record is out of date, the agent is not writing it;
//   - a session's state is what its live ends report (the worst of them);
//   - a session whose only reporter is silent is "Unknown" (its last report
//     is kept as a note): nobody who is alive can vouch for it.
import type { Block } from "@tortie/ipam";
import type { NodeStatusPeer, NodeStatusRecord } from "../commands/node.js";
import type { Resource } from "../model.js";

/** An agent's status record (as `node status` reads it). */
export type StatusRecord = NodeStatusRecord;
/** One session as an agent reports it. */
export type PeerReport = NodeStatusPeer;

/** Everything the model is built from. */
export interface GraphInputs {
  readonly nodes: readonly Resource[];
  readonly bgpPeers: readonly Resource[];
  readonly bgpConfiguration?: Resource;
  readonly workloadEndpoints: readonly Resource[];
  readonly blocks: readonly Block[];
  readonly records: readonly StatusRecord[];
  /** Wall-clock time the picture is for (ms since the epoch). */
  readonly now: number;
}

/** How a node's agent is doing. */
export type AgentHealth = "ok" | "not-ready" | "silent" | "no-record";

/** A cluster node. */
export interface GraphNode {
  readonly id: string;
  readonly name: string;
  readonly address?: string;
  readonly asn?: number;
  readonly routeReflector?: string;
  readonly health: AgentHealth;
  /** Why the health is what it is (one line). */
  readonly healthNote: string;
  /** When the agent last wrote its record (ISO 8601). */
  readonly reported?: string;
  readonly blocks: readonly GraphBlock[];
  /** The node's pods whose address is in no block of any node. */
  readonly unblocked: readonly GraphPod[];
}

/** An IPAM block and the pods with an address in it. */
export interface GraphBlock {
  readonly cidr: string;
  readonly inUse: number;
  readonly capacity: number;
  readonly pods: readonly GraphPod[];
  /** Addresses another node took from this block (with the pod, when one holds it). */
  readonly borrowed: readonly { ip: string; node: string; pod?: string }[];
}

/** A pod (its workload endpoint). */
export interface GraphPod {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly endpoint: string;
  readonly node: string;
  readonly address?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Set when the pod runs on another node than the block's: the node it runs on. */
  readonly borrowedBy?: string;
}

/** A BGP speaker outside the cluster's nodes (BIG-IP, an external route reflector). */
export interface GraphPeer {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly asn?: number;
  /** "bgppeer" when a BGPPeer names it, "dynamic" when only a status record does. */
  readonly origin: "bgppeer" | "dynamic";
}

/** What colour a session is drawn in. */
export type SessionColour = "up" | "down" | "unknown";

/** A BGP session between two speakers. */
export interface GraphSession {
  readonly id: string;
  /** Always a node. */
  readonly a: string;
  /** A node or a peer. */
  readonly b: string;
  readonly kind: "mesh" | "external";
  readonly state: string;
  readonly colour: SessionColour;
  /** Established since (ms since the epoch), when up. */
  readonly since?: number;
  readonly reports: readonly SessionReport[];
  readonly note?: string;
}

/** One end's report of a session. */
export interface SessionReport {
  readonly node: string;
  readonly state: string;
  readonly since: number;
  readonly received: number;
  readonly advertised: number;
  readonly source: string;
  readonly lastError?: string;
  /** False when the reporting agent is silent (its report is history). */
  readonly live: boolean;
}

/** The whole picture. */
export interface ClusterGraph {
  readonly generatedAt: string;
  readonly clusterAsn?: number;
  readonly nodes: readonly GraphNode[];
  readonly peers: readonly GraphPeer[];
  readonly sessions: readonly GraphSession[];
}

interface NodeSpec {
  bgp?: {
    ipv4Address?: string;
    ipv6Address?: string;
    asNumber?: number;
    routeReflectorClusterID?: string;
  };
}
interface PeerSpec {
  peerIP?: string;
  asNumber?: number;
}
interface WepSpec {
  pod?: string;
  node?: string;
  ipNetworks?: string[];
  workload?: string;
}

const meta = (r: Resource) =>
  r.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
const bare = (cidr: string | undefined) => cidr?.split("/")[0];
const byName = (x: { name: string }, y: { name: string }) =>
  x.name < y.name ? -1 : x.name > y.name ? 1 : 0;

/** Builds the picture from the datastore's contents. */
export function buildGraph(i: GraphInputs): ClusterGraph {
  const clusterAsn = (i.bgpConfiguration?.spec as { asNumber?: number } | undefined)?.asNumber;
  const records = new Map(i.records.map((r) => [r.node, r]));

  // Speakers by address: nodes first, then BGPPeers' peerIPs.
  const nodeByAddr = new Map<string, string>();
  const nodeAddr = new Map<string, string | undefined>();
  for (const n of i.nodes) {
    const bgp = (n.spec as NodeSpec).bgp;
    const v4 = bare(bgp?.ipv4Address);
    const v6 = bare(bgp?.ipv6Address);
    if (v4) nodeByAddr.set(v4, meta(n).name);
    if (v6) nodeByAddr.set(v6, meta(n).name);
    nodeAddr.set(meta(n).name, v4 ?? v6);
  }
  for (const r of i.records) if (!nodeAddr.has(r.node)) nodeAddr.set(r.node, undefined);

  const peers = new Map<string, { names: string[]; asn?: number; origin: GraphPeer["origin"] }>();
  for (const p of i.bgpPeers) {
    const s = p.spec as PeerSpec;
    const ip = bare(s.peerIP);
    if (!ip || nodeByAddr.has(ip)) continue;
    const e = peers.get(ip) ?? { names: [], origin: "bgppeer" as const };
    e.names.push(meta(p).name);
    if (s.asNumber !== undefined) e.asn = s.asNumber;
    peers.set(ip, e);
  }
  for (const r of i.records)
    for (const p of r.bgp.peers)
      if (!nodeByAddr.has(p.address) && !peers.has(p.address))
        peers.set(p.address, { names: [], origin: "dynamic" });

  // Which nodes' records are out of date (see the head of this file).
  const silent = new Set<string>();
  for (const r of i.records) {
    const me = nodeAddr.get(r.node);
    for (const p of r.bgp.peers) {
      const other = nodeByAddr.get(p.address);
      if (!other || p.state !== "Established" || !me) continue;
      const theirs = records.get(other)?.bgp.peers.find((q) => q.address === me);
      if (theirs && theirs.state !== "Established" && theirs.since > p.since) silent.add(r.node);
    }
  }
  // Two nodes cannot both be each other's proof: only a node that nobody
  // alive reports Established counts (a node whose every report is
  // contradicted keeps the mark; a node another live node vouches for loses it).
  for (const n of [...silent]) {
    const me = nodeAddr.get(n);
    const vouched = i.records.some(
      (r) =>
        r.node !== n &&
        !silent.has(r.node) &&
        r.bgp.peers.some((p) => p.address === me && p.state === "Established"),
    );
    if (vouched) silent.delete(n);
  }

  const sessions = new Map<
    string,
    { a: string; b: string; kind: GraphSession["kind"]; reports: SessionReport[] }
  >();
  for (const r of i.records) {
    for (const p of r.bgp.peers) {
      const otherNode = nodeByAddr.get(p.address);
      const a = `node:${r.node}`;
      const b = otherNode ? `node:${otherNode}` : `peer:${p.address}`;
      const [x, y] = otherNode && b < a ? [b, a] : [a, b];
      const id = `${x}|${y}`;
      const s = sessions.get(id) ?? {
        a: x,
        b: y,
        kind: otherNode ? ("mesh" as const) : ("external" as const),
        reports: [],
      };
      s.reports.push({
        node: r.node,
        state: p.state,
        since: p.since,
        received: p.received,
        advertised: p.advertised,
        source: p.source,
        ...(p.lastError ? { lastError: p.lastError } : {}),
        live: !silent.has(r.node),
      });
      sessions.set(id, s);
    }
  }

  // Pods by address, then into the block that holds the address.
  const pods: GraphPod[] = i.workloadEndpoints.map((w) => {
    const s = w.spec as WepSpec;
    const m = meta(w);
    const ns = m.namespace ?? "default";
    const address = bare(s.ipNetworks?.[0]);
    return {
      id: `pod:${ns}/${m.name}`,
      name: s.pod ?? s.workload ?? m.name,
      namespace: ns,
      endpoint: m.name,
      node: s.node ?? "",
      ...(address ? { address } : {}),
      labels: m.labels ?? {},
    };
  });
  const placed = new Set<string>();
  const blocksOf = new Map<string, GraphBlock[]>();
  for (const b of [...i.blocks].sort((x, y) => cmpCidr(x.cidr, y.cidr))) {
    const owner = b.affinity?.startsWith("host:") ? b.affinity.slice(5) : "";
    const inBlock = pods
      .filter((p) => p.address && cidrHas(b.cidr, p.address))
      .sort((x, y) => cmpIp(x.address!, y.address!))
      .map((p) => (p.node && owner && p.node !== owner ? { ...p, borrowedBy: p.node } : p));
    for (const p of inBlock) placed.add(p.id);
    const borrowed: { ip: string; node: string; pod?: string }[] = [];
    b.allocations.forEach((a, ord) => {
      if (a === null) return;
      const node = b.attributes[a]?.secondary.node;
      if (!node || !owner || node === owner) return;
      const pod = b.attributes[a]?.secondary.pod;
      borrowed.push({ ip: ipAt(b.cidr, ord), node, ...(pod ? { pod } : {}) });
    });
    const list = blocksOf.get(owner) ?? [];
    list.push({
      cidr: b.cidr,
      inUse: b.allocations.length - b.unallocated.length,
      capacity: b.allocations.length,
      pods: inBlock,
      borrowed,
    });
    blocksOf.set(owner, list);
  }

  const nodes: GraphNode[] = [...nodeAddr.keys()]
    .map((name) => {
      const res = i.nodes.find((n) => meta(n).name === name);
      const bgp = res ? (res.spec as NodeSpec).bgp : undefined;
      const rec = records.get(name);
      const address = nodeAddr.get(name);
      const asn = bgp?.asNumber ?? rec?.bgp.asn ?? clusterAsn;
      const [health, healthNote] = healthOf(rec, silent.has(name));
      return {
        id: `node:${name}`,
        name,
        ...(address ? { address } : {}),
        ...(asn !== undefined ? { asn } : {}),
        ...(bgp?.routeReflectorClusterID ? { routeReflector: bgp.routeReflectorClusterID } : {}),
        health,
        healthNote,
        ...(rec ? { reported: rec.updated } : {}),
        blocks: blocksOf.get(name) ?? [],
        unblocked: pods.filter((p) => p.node === name && !placed.has(p.id)),
      };
    })
    .sort(byName);

  const graphPeers: GraphPeer[] = [...peers.entries()]
    .map(([address, p]) => ({
      id: `peer:${address}`,
      name: p.names.length ? [...p.names].sort().join(", ") : address,
      address,
      ...(p.asn !== undefined ? { asn: p.asn } : {}),
      origin: p.origin,
    }))
    .sort((x, y) => cmpIp(x.address, y.address));

  const graphSessions: GraphSession[] = [...sessions.entries()]
    .map(([id, s]) => ({ id, ...s, ...sessionState(s.reports) }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

  return {
    generatedAt: new Date(i.now).toISOString(),
    ...(clusterAsn !== undefined ? { clusterAsn } : {}),
    nodes,
    peers: graphPeers,
    sessions: graphSessions,
  };
}

function healthOf(rec: StatusRecord | undefined, silent: boolean): [AgentHealth, string] {
  if (!rec) return ["no-record", "no status record (is tortie-node running here?)"];
  if (silent)
    return [
      "silent",
      "its peers report its sessions down while its own record does not: the agent is not writing",
    ];
  if (!rec.agent.ready)
    return ["not-ready", `running but not ready (datastore ${rec.agent.datastore})`];
  return ["ok", `ready (datastore ${rec.agent.datastore})`];
}

function sessionState(
  reports: readonly SessionReport[],
): Pick<GraphSession, "state" | "colour" | "since" | "note"> {
  const live = reports.filter((r) => r.live);
  if (live.length === 0) {
    const last = reports.map((r) => `${r.node} last reported ${r.state}`).join("; ");
    return { state: "Unknown", colour: "unknown", note: `no live agent reports it (${last})` };
  }
  const bad = live.find((r) => r.state !== "Established");
  if (bad)
    return {
      state: bad.state,
      colour: "down",
      note: `${bad.node} reports ${bad.state}${bad.lastError ? ` (${bad.lastError})` : ""}`,
    };
  return { state: "Established", colour: "up", since: Math.max(...live.map((r) => r.since)) };
}

// ---------------------------------------------------------------- addresses

function parseIp(ip: string): { v6: boolean; n: bigint } {
  if (!ip.includes(":")) {
    const p = ip.split(".").map(Number);
    return { v6: false, n: BigInt(((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) };
  }
  const [head, tail = ""] = ip.split("::") as [string, string?];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return {
    v6: true,
    n: groups.reduce((acc, g) => (acc << 16n) + BigInt(Number.parseInt(g, 16)), 0n),
  };
}

function cidrHas(cidr: string, ip: string): boolean {
  const [base, len] = cidr.split("/") as [string, string];
  const b = parseIp(base);
  const a = parseIp(ip);
  if (a.v6 !== b.v6) return false;
  const bits = BigInt((b.v6 ? 128 : 32) - Number(len));
  return a.n >> bits === b.n >> bits;
}

function ipAt(cidr: string, ord: number): string {
  const b = parseIp(cidr.split("/")[0]!);
  const n = b.n + BigInt(ord);
  if (!b.v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, k) =>
    ((n >> BigInt(112 - 16 * k)) & 0xffffn).toString(16),
  );
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

function cmpIp(x: string, y: string): number {
  const a = parseIp(x);
  const b = parseIp(y);
  if (a.v6 !== b.v6) return a.v6 ? 1 : -1;
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

function cmpCidr(x: string, y: string): number {
  return (
    cmpIp(x.split("/")[0]!, y.split("/")[0]!) || Number(x.split("/")[1]) - Number(y.split("/")[1])
  );
}
