// confd's role as a pure function: the snapshot (BGPConfiguration, BGPPeer,
// BGPFilter, Node, IPPool, block affinities, local workload endpoints) →
// the speaker's desired state for this node: its global settings, its peers
// (node-to-node mesh, route reflectors, external routers), and the prefixes
// it originates with their communities.
//
// Calico semantics followed (Calico docs, "BGP configuration" / "BGP peer"
// resource reference):
// - BGPConfiguration "default" is global; "node.<name>" overrides it for one node.
// - The node's AS: Node spec.bgp.asNumber, else the global asNumber (64512).
// - nodeToNodeMeshEnabled (default true): a session with every other node,
//   except that a route reflector (Node routeReflectorClusterID) is in no mesh
//   and no mesh includes one; a reflector treats each peer of its AS that is
//   not a reflector of its cluster as its client (RFC 4456).
// - BGPPeer filters: the BGPFilters' import rules on routes learned, their
//   export rules on routes sent; keepOriginalNextHop (next hop unchanged),
//   maxRestartTime / nodeMeshMaxRestartTime (graceful restart time advertised
//   to that peer), numAllowedLocalASNumbers — all carried out by the speaker.
// - Every peer is sent only prefixes in IP pools with BGP export and the
//   service CIDRs, whether originated or learned (Calico's
//   calico_export_to_bgp_peers), after the user's BGPFilter export rules.
// - BGPPeer scope: `node` (one node), `nodeSelector` (matching nodes), or
//   neither (every node). Remote side: `peerIP` (+ asNumber), or
//   `peerSelector` (every matching node, at its address and AS). A node
//   selected by a peerSelector peers back with the nodes of the nodeSelector
//   (reversePeering Auto), which makes route-reflector topologies work.
// - Originated: each block affine to the node that lies in an IPPool with
//   BGP export enabled; each local workload address outside those blocks
//   (a borrowed address) as a /32 or /128; each connected prefix of an
//   interface (not a workload veth, kube-ipvs* or an ignoredInterfaces one)
//   that lies in such a pool; the service CIDRs.
import { parseSelector } from "@tortie/selector";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { connectedPrefixes, excludedInterfaces, type InterfaceAddress } from "./interfaces.js";
import {
  cidrContains,
  hostOf,
  parseAsNumber,
  parseDurationSeconds,
  splitPeerIP,
} from "./values.js";

/** Seconds between connection attempts, as Calico's BIRD template (`connect retry time 5`). */
export const CALICO_CONNECT_RETRY_S = 5;

/** A secret key reference (Calico `secretKeyRef`). */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

/** What the pure function needs besides the snapshot. */
export interface BgpContext {
  /** This node's name. */
  readonly nodeName: string;
  /** The node's BGP address (IP env var); used when its Node resource has none yet. */
  readonly nodeIP: string;
  /** AS env var: used when neither the Node nor a BGPConfiguration says. */
  readonly asNumber?: number;
  /** Resolves a password secret (files or environment: the edge decides). */
  readonly secret: (ref: SecretRef) => string | undefined;
  /** Session timer defaults (tests shorten them); connect retry default 5 s as Calico's BIRD. */
  readonly connectRetryTime?: number;
  readonly holdTime?: number;
  /** The node's interface addresses (interfaces that are up): connected prefixes in a pool are announced. */
  readonly interfaces?: readonly InterfaceAddress[];
  /** Prefix of workload veths (default "cali"): their addresses are never announced as interfaces'. */
  readonly vethPrefix?: string;
}

/** One peer as the speaker gets it, plus what the other rooms need to know of it. */
export interface DesiredPeer {
  /** The speaker's peer configuration (`@tortie/bgp` PeerConfigInput). */
  readonly config: {
    readonly address: string;
    readonly port?: number;
    readonly asn: number;
    readonly localAddress?: string;
    readonly password?: string;
    readonly ttlSecurity?: number;
    readonly keepaliveTime?: number;
    readonly holdTime?: number;
    readonly connectRetryTime?: number;
    readonly description: string;
    /** BGPFilter resources (Calico's, as stored) applied to routes learned from the peer. */
    readonly importFilters?: readonly BgpFilterResource[];
    /** The same filters applied to routes sent to the peer (their export rules), then Calico's own ({@link CALICO_EXPORT}). */
    readonly exportFilters?: readonly BgpFilterResource[];
    /** How many times our own AS may appear in a learned AS_PATH (`numAllowedLocalASNumbers`). */
    readonly allowAsIn?: number;
    /** `keep` for `keepOriginalNextHop`: routes go to the peer with their next hop unchanged. */
    readonly nextHopMode?: "keep";
    /** This node is a route reflector and the peer its client (RFC 4456). */
    readonly routeReflectorClient?: true;
    /** Per-peer graceful restart time we advertise (`maxRestartTime`, RFC 4724 §3). */
    readonly gracefulRestart?: { readonly restartTime: number };
  };
  /** Where it comes from: "mesh", "BGPPeer/<name>". */
  readonly source: string;
  /** BGPFilter names applied to routes from/to this peer. */
  readonly filters: readonly string[];
  /** A gateway the peer is reachable through (a host route is installed). */
  readonly reachableBy?: string;
}

/** Name of the export filter every peer ends with (Calico's `calico_export_to_bgp_peers`). */
export const CALICO_EXPORT = "tortie-calico-export";

/** A BGPFilter resource as the speaker takes it (apiVersion, kind, metadata.name, spec). */
export interface BgpFilterResource {
  readonly apiVersion: string;
  readonly kind: "BGPFilter";
  readonly metadata: { readonly name: string };
  readonly spec: unknown;
}

/** One originated prefix (`@tortie/bgp` OriginateConfigInput). */
export interface DesiredRoute {
  readonly prefix: string;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  /** Why: "block", "borrowed", "service-cluster-ip"… */
  readonly reason: string;
}

/** A problem in configuration that is valid resource by resource. */
export interface ConfigIssue {
  readonly resource: string;
  readonly path: string;
  readonly message: string;
}

/** The speaker's desired state. */
export interface DesiredBgp {
  readonly asn: number;
  readonly routerId: string;
  readonly listen: { readonly address: string; readonly port: number };
  /** This node's route-reflector cluster ID (Node spec.bgp.routeReflectorClusterID), if it is one. */
  readonly clusterId?: string;
  readonly peers: ReadonlyMap<string, DesiredPeer>;
  readonly originate: ReadonlyMap<string, DesiredRoute>;
  /** This node's affine blocks (originated or not): the routes room blackholes them. */
  readonly blocks: readonly string[];
  readonly issues: readonly ConfigIssue[];
}

const STANDARD = /^\d{1,5}:\d{1,5}$/;
const LARGE = /^\d{1,10}:\d{1,10}:\d{1,10}$/;

type Labels = Readonly<Record<string, string>>;

function matches(selector: string | undefined, labels: Labels): boolean {
  if (selector === undefined) return true;
  return parseSelector(selector).evaluate(labels);
}

interface NodeView {
  readonly name: string;
  readonly labels: Labels;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly asn?: number;
  readonly rrClusterId?: string;
}

function nodesOf(s: Snapshot, ctx: BgpContext): Map<string, NodeView> {
  const out = new Map<string, NodeView>();
  for (const [name, n] of s.resources.Node) {
    const b = n.spec.bgp;
    out.set(name, {
      name,
      labels: n.metadata.labels ?? {},
      ...(b?.ipv4Address ? { ipv4: hostOf(b.ipv4Address) } : {}),
      ...(b?.ipv6Address ? { ipv6: hostOf(b.ipv6Address) } : {}),
      ...(b?.asNumber !== undefined ? { asn: parseAsNumber(b.asNumber) } : {}),
      ...(b?.routeReflectorClusterID ? { rrClusterId: b.routeReflectorClusterID } : {}),
    });
  }
  // Before registration shows up in the snapshot, this node is what its configuration says.
  const me = out.get(ctx.nodeName);
  out.set(ctx.nodeName, {
    name: ctx.nodeName,
    labels: me?.labels ?? {},
    ...me,
    ...(me?.ipv4 || me?.ipv6
      ? {}
      : ctx.nodeIP.includes(":")
        ? { ipv6: ctx.nodeIP }
        : { ipv4: ctx.nodeIP }),
  });
  return out;
}

/** The effective BGPConfiguration for a node: "default" with "node.<name>" over it. */
export function effectiveBgpConfiguration(s: Snapshot, nodeName: string) {
  const d = s.resources.BGPConfiguration.get("default")?.spec;
  const n = s.resources.BGPConfiguration.get(`node.${nodeName}`)?.spec;
  const base = {
    nodeToNodeMeshEnabled: true,
    asNumber: 64512 as number | string,
    listenPort: 179,
    ...d,
  };
  if (!n) return base;
  // Per-node configuration: Calico honours the node-specific fields there.
  return {
    ...base,
    ...(n.listenPort !== undefined ? { listenPort: n.listenPort } : {}),
    ...(n.logSeverityScreen !== undefined ? { logSeverityScreen: n.logSeverityScreen } : {}),
    ...(n.prefixAdvertisements ? { prefixAdvertisements: n.prefixAdvertisements } : {}),
    ...(n.communities ? { communities: n.communities } : {}),
    ...(n.bindMode ? { bindMode: n.bindMode } : {}),
    ...(n.ignoredInterfaces ? { ignoredInterfaces: n.ignoredInterfaces } : {}),
    ...(n.serviceExternalIPs ? { serviceExternalIPs: n.serviceExternalIPs } : {}),
    ...(n.serviceLoadBalancerIPs ? { serviceLoadBalancerIPs: n.serviceLoadBalancerIPs } : {}),
  };
}

/** confd: snapshot → the speaker's desired state for `ctx.nodeName`. */
export function desiredBgp(s: Snapshot, ctx: BgpContext): DesiredBgp {
  const issues: ConfigIssue[] = [];
  const cfg = effectiveBgpConfiguration(s, ctx.nodeName);
  const nodes = nodesOf(s, ctx);
  const me = nodes.get(ctx.nodeName)!;
  const globalAsn = parseAsNumber(cfg.asNumber);
  const defaultAsn = s.resources.BGPConfiguration.get("default")?.spec.asNumber;
  const asn = me.asn ?? (defaultAsn === undefined ? ctx.asNumber : undefined) ?? globalAsn;
  const asnOf = (n: NodeView) => n.asn ?? globalAsn;
  const myAddrs = new Set([me.ipv4, me.ipv6].filter((a): a is string => !!a));
  const routerId = me.ipv4 ?? ctx.nodeIP;
  const listen = {
    address: cfg.bindMode === "NodeIP" ? (me.ipv4 ?? me.ipv6 ?? "::") : "::",
    port: cfg.listenPort,
  };
  // Calico's BIRD template: `connect retry time 5` (a peer that was not up
  // yet is tried again after 5 s, not after RFC 4271's suggested 120 s).
  const timers = {
    connectRetryTime: ctx.connectRetryTime ?? CALICO_CONNECT_RETRY_S,
    ...(ctx.holdTime !== undefined ? { holdTime: ctx.holdTime } : {}),
  };

  const resolve = (
    ref: { secretKeyRef: SecretRef } | undefined,
    resource: string,
    path: string,
  ): { ok: boolean; password?: string } => {
    if (!ref) return { ok: true };
    const v = ctx.secret(ref.secretKeyRef);
    if (v !== undefined) return { ok: true, password: v };
    if (ref.secretKeyRef.optional) return { ok: true };
    issues.push({
      resource,
      path,
      message: `secret ${ref.secretKeyRef.name}/${ref.secretKeyRef.key} not found (file or environment)`,
    });
    return { ok: false };
  };

  const peers = new Map<string, DesiredPeer>();
  const add = (p: DesiredPeer) => {
    if (myAddrs.has(p.config.address)) return; // never peer with ourselves
    const had = peers.get(p.config.address);
    if (had) {
      // Calico: an explicit BGPPeer wins over the mesh; among BGPPeers, the first by name.
      if (had.source === "mesh" && p.source !== "mesh") peers.set(p.config.address, p);
      return;
    }
    peers.set(p.config.address, p);
  };
  const sourceAddress = (family: 4 | 6) => (family === 4 ? me.ipv4 : me.ipv6);

  // Graceful restart time advertised to one peer (maxRestartTime, nodeMeshMaxRestartTime).
  const restartTime = (v: string | undefined, resource: string, path: string) => {
    if (v === undefined) return {};
    const t = parseDurationSeconds(v);
    if (t === undefined || t > 4095) {
      issues.push({ resource, path, message: `not a duration of at most 4095 s: ${v}` });
      return {};
    }
    return { gracefulRestart: { restartTime: t } };
  };
  // Calico: this node reflects routes to a peer of its AS that is not a reflector of its cluster.
  const rrClient = (peerAsn: number, peerClusterId: string | undefined) =>
    me.rrClusterId && peerAsn === asn && peerClusterId !== me.rrClusterId
      ? { routeReflectorClient: true as const }
      : {};
  const clusterOfAddress = new Map<string, string | undefined>();
  for (const n of nodes.values())
    for (const a of [n.ipv4, n.ipv6]) if (a) clusterOfAddress.set(a, n.rrClusterId);

  // The node-to-node mesh (Calico: a route reflector is in no mesh, and no mesh includes one).
  if (cfg.nodeToNodeMeshEnabled && !me.rrClusterId) {
    const meshRestart = restartTime(
      cfg.nodeMeshMaxRestartTime,
      "BGPConfiguration/default",
      "spec.nodeMeshMaxRestartTime",
    );
    const pw = resolve(cfg.nodeMeshPassword, "BGPConfiguration/default", "spec.nodeMeshPassword");
    if (pw.ok) {
      for (const n of nodes.values()) {
        if (n.name === me.name || n.rrClusterId) continue;
        for (const [fam, addr] of [
          [4, n.ipv4],
          [6, n.ipv6],
        ] as const) {
          if (!addr || !sourceAddress(fam)) continue;
          add({
            config: {
              address: addr,
              asn: asnOf(n),
              localAddress: sourceAddress(fam)!,
              ...(pw.password ? { password: pw.password } : {}),
              ...timers,
              description: `Mesh_${n.name}`,
              ...meshRestart,
            },
            source: "mesh",
            filters: [],
          });
        }
      }
    }
  }

  // BGPPeers, by name.
  const peerNames = [...s.resources.BGPPeer.keys()].sort();
  for (const name of peerNames) {
    const p = s.resources.BGPPeer.get(name)!.spec;
    const res = `BGPPeer/${name}`;
    let forMe: boolean;
    let reverse: NodeView[] = [];
    try {
      forMe = p.node ? p.node === me.name : matches(p.nodeSelector, me.labels);
      if (p.peerSelector && matches(p.peerSelector, me.labels)) {
        // reverse peering: we are selected as the remote side
        reverse = [...nodes.values()].filter(
          (n) =>
            n.name !== me.name && (p.node ? p.node === n.name : matches(p.nodeSelector, n.labels)),
        );
      }
    } catch (e) {
      issues.push({ resource: res, path: "spec.nodeSelector", message: (e as Error).message });
      continue;
    }
    const pw = resolve(p.password, res, "spec.password");
    if (!pw.ok) continue;
    const keepalive =
      p.keepaliveTime !== undefined ? parseDurationSeconds(p.keepaliveTime) : undefined;
    if (p.keepaliveTime !== undefined && keepalive === undefined) {
      issues.push({
        resource: res,
        path: "spec.keepaliveTime",
        message: `not a duration: ${p.keepaliveTime}`,
      });
      continue;
    }
    const filterResources = (p.filters ?? []).flatMap((f) => {
      const r = s.resources.BGPFilter.get(f);
      return r
        ? [
            {
              apiVersion: r.apiVersion,
              kind: "BGPFilter" as const,
              metadata: { name: f },
              spec: r.spec,
            },
          ]
        : [];
    });
    const peerRestart = restartTime(p.maxRestartTime, res, "spec.maxRestartTime");
    const common = (
      address: string,
      remoteAsn: number,
      description: string,
      peerClusterId: string | undefined,
    ): DesiredPeer => {
      const fam = address.includes(":") ? 6 : 4;
      const src = p.sourceAddress !== "None" ? sourceAddress(fam) : undefined;
      return {
        config: {
          address,
          asn: remoteAsn,
          ...(src ? { localAddress: src } : {}),
          ...(pw.password ? { password: pw.password } : {}),
          ...(p.ttlSecurity ? { ttlSecurity: p.ttlSecurity } : {}),
          ...timers,
          ...(keepalive !== undefined
            ? { keepaliveTime: Math.max(1, keepalive), holdTime: Math.max(3, keepalive * 3) }
            : {}),
          description,
          ...(filterResources.length
            ? { importFilters: filterResources, exportFilters: filterResources }
            : {}),
          ...(p.numAllowedLocalASNumbers ? { allowAsIn: p.numAllowedLocalASNumbers } : {}),
          ...(p.keepOriginalNextHop ? { nextHopMode: "keep" as const } : {}),
          ...rrClient(remoteAsn, peerClusterId),
          ...peerRestart,
        },
        source: res,
        filters: p.filters ?? [],
        ...(p.reachableBy ? { reachableBy: p.reachableBy } : {}),
      };
    };
    if (forMe) {
      if (p.peerIP) {
        const { address, port } = splitPeerIP(p.peerIP);
        const d = common(
          address,
          parseAsNumber(p.asNumber!),
          `Global_${name}`,
          clusterOfAddress.get(address),
        );
        add(port ? { ...d, config: { ...d.config, port } } : d);
      } else if (p.peerSelector) {
        let selected: NodeView[];
        try {
          selected = [...nodes.values()].filter(
            (n) => n.name !== me.name && matches(p.peerSelector, n.labels),
          );
        } catch (e) {
          issues.push({ resource: res, path: "spec.peerSelector", message: (e as Error).message });
          continue;
        }
        for (const n of selected)
          for (const addr of [n.ipv4, n.ipv6])
            if (addr)
              add(
                common(
                  addr,
                  p.asNumber !== undefined ? parseAsNumber(p.asNumber) : asnOf(n),
                  `Node_${n.name}`,
                  n.rrClusterId,
                ),
              );
      }
    }
    if (p.peerSelector)
      for (const n of reverse)
        for (const addr of [n.ipv4, n.ipv6])
          if (addr) add(common(addr, asnOf(n), `Node_${n.name}`, n.rrClusterId));
  }

  // Calico sends a peer only what lies in an IP pool (pools with BGP export disabled:
  // nothing) and the service CIDRs, whatever it learned (calico_export_to_bgp_peers);
  // a user's BGPFilter export rules come first (first match wins).
  const exportRules = { v4: [] as object[], v6: [] as object[] };
  const fam = (c: string) => (c.includes(":") ? exportRules.v6 : exportRules.v4);
  for (const pool of [...s.resources.IPPool.values()].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : 1,
  ))
    fam(pool.spec.cidr).push({
      action: pool.spec.disableBGPExport ? "Reject" : "Accept",
      matchOperator: "In",
      cidr: pool.spec.cidr,
    });
  for (const field of [
    "serviceClusterIPs",
    "serviceExternalIPs",
    "serviceLoadBalancerIPs",
  ] as const)
    for (const c of cfg[field] ?? [])
      fam(c.cidr).push({ action: "Accept", matchOperator: "In", cidr: c.cidr });
  exportRules.v4.push({ action: "Reject" });
  exportRules.v6.push({ action: "Reject" });
  const calicoExport: BgpFilterResource = {
    apiVersion: "projectcalico.org/v3",
    kind: "BGPFilter",
    metadata: { name: CALICO_EXPORT },
    spec: { exportV4: exportRules.v4, exportV6: exportRules.v6 },
  };
  for (const [addr, p] of peers)
    peers.set(addr, {
      ...p,
      config: { ...p.config, exportFilters: [...(p.config.exportFilters ?? []), calicoExport] },
    });

  // Unknown filters are configuration errors of the peer (reported, the filter skipped).
  for (const p of peers.values())
    for (const f of p.filters)
      if (!s.resources.BGPFilter.has(f))
        issues.push({
          resource: p.source,
          path: "spec.filters",
          message: `no BGPFilter named ${f}`,
        });

  // Originated prefixes.
  // A disabled pool gives no new addresses but its blocks still route (Calico).
  const pools = [...s.resources.IPPool.values()];
  const inExportablePool = (cidr: string) =>
    pools.some((p) => !p.spec.disableBGPExport && cidrContains(p.spec.cidr, cidr));
  const blocks = [...s.affinities.values()]
    .filter((a) => a.host === me.name && a.state === "confirmed")
    .map((a) => a.cidr)
    .sort();
  const originate = new Map<string, DesiredRoute>();
  const communityValues = new Map((cfg.communities ?? []).map((c) => [c.name, c.value]));
  const withCommunities = (prefix: string, reason: string): DesiredRoute => {
    const std: string[] = [];
    const large: string[] = [];
    for (const pa of cfg.prefixAdvertisements ?? []) {
      if (!cidrContains(pa.cidr, prefix)) continue;
      for (const c of pa.communities) {
        const v = communityValues.get(c) ?? c;
        if (LARGE.test(v)) large.push(v);
        else if (STANDARD.test(v) && v.split(":").every((x) => Number(x) <= 0xffff)) std.push(v);
        else
          issues.push({
            resource: "BGPConfiguration",
            path: "spec.prefixAdvertisements.communities",
            message: `"${c}" is neither a community name from spec.communities nor aa:nn or aa:nn:mm`,
          });
      }
    }
    return {
      prefix,
      reason,
      ...(std.length ? { communities: [...new Set(std)] } : {}),
      ...(large.length ? { largeCommunities: [...new Set(large)] } : {}),
    };
  };
  for (const b of blocks) if (inExportablePool(b)) originate.set(b, withCommunities(b, "block"));
  for (const w of s.workloadEndpoints.values()) {
    if (w.node !== me.name) continue;
    for (const net of w.ipNetworks) {
      if (blocks.some((b) => cidrContains(b, net))) continue;
      if (inExportablePool(net)) originate.set(net, withCommunities(net, "borrowed"));
    }
  }
  // Connected prefixes (Calico: BIRD's `protocol direct` through calico_export_to_bgp_peers),
  // except those of the excluded interfaces (BGPConfiguration ignoredInterfaces).
  const excluded = excludedInterfaces(ctx.vethPrefix ?? "cali", cfg.ignoredInterfaces);
  for (const net of connectedPrefixes(ctx.interfaces ?? [], excluded)) {
    if (originate.has(net) || blocks.some((b) => cidrContains(b, net))) continue;
    if (inExportablePool(net)) originate.set(net, withCommunities(net, "interface"));
  }
  for (const [field, reason] of [
    ["serviceClusterIPs", "service-cluster-ip"],
    ["serviceExternalIPs", "service-external-ip"],
    ["serviceLoadBalancerIPs", "service-loadbalancer-ip"],
  ] as const)
    for (const c of cfg[field] ?? []) originate.set(c.cidr, withCommunities(c.cidr, reason));

  return {
    asn,
    routerId,
    listen,
    ...(me.rrClusterId ? { clusterId: me.rrClusterId } : {}),
    peers,
    originate,
    blocks,
    issues,
  };
}
