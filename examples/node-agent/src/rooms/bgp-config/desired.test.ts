import { describe, expect, it } from "vitest";
import { affinity, builderWith, node, res, wep } from "../../testing/fixtures.js";
import { type BgpContext, CALICO_EXPORT, desiredBgp } from "./desired.js";
import { planBgp } from "./plan.js";

const secrets: Record<string, string> = { "bgp-secrets/bigip": "s3cret", "mesh/pw": "meshpw" };
const ctx = (nodeName = "node1", nodeIP = "192.0.2.11"): BgpContext => ({
  nodeName,
  nodeIP,
  secret: (r) => secrets[`${r.name}/${r.key}`],
});
const nodes = [
  node("node1", "192.0.2.11"),
  node("node2", "192.0.2.12"),
  node("node3", "192.0.2.13"),
];
const pool = res("IPPool", "pods", { cidr: "198.51.100.0/24" });

describe("bgp-config: desired state", () => {
  it("meshes with every other node by default, from the node's own address, AS 64512", () => {
    const d = desiredBgp(builderWith([...nodes, pool]).snapshot(), ctx());
    expect(d.asn).toBe(64512);
    expect(d.routerId).toBe("192.0.2.11");
    expect(d.listen).toEqual({ address: "::", port: 179 });
    expect([...d.peers.keys()]).toEqual(["192.0.2.12", "192.0.2.13"]);
    expect(d.peers.get("192.0.2.12")).toMatchObject({
      source: "mesh",
      config: { asn: 64512, localAddress: "192.0.2.11", description: "Mesh_node2" },
    });
  });

  it("no mesh with nodeToNodeMeshEnabled false; per-node AS and asdot global AS; listenPort and bindMode", () => {
    const cfg = res("BGPConfiguration", "default", {
      nodeToNodeMeshEnabled: false,
      asNumber: "1.10",
      listenPort: 1790,
      bindMode: "NodeIP",
    });
    const d = desiredBgp(builderWith([...nodes, cfg]).snapshot(), ctx());
    expect(d.peers.size).toBe(0);
    expect(d.asn).toBe(65546);
    expect(d.listen).toEqual({ address: "192.0.2.11", port: 1790 });
    const own = desiredBgp(
      builderWith([node("node1", "192.0.2.11", { asn: 65001 }), cfg]).snapshot(),
      ctx(),
    );
    expect(own.asn).toBe(65001);
    const perNode = res("BGPConfiguration", "node.node1", { listenPort: 1791 });
    expect(desiredBgp(builderWith([...nodes, cfg, perNode]).snapshot(), ctx()).listen.port).toBe(
      1791,
    );
    expect(
      desiredBgp(builderWith([...nodes, cfg, perNode]).snapshot(), ctx("node2", "192.0.2.12"))
        .listen.port,
    ).toBe(1790);
  });

  it("the AS env var counts only when no BGPConfiguration and no Node say", () => {
    const withEnv = { ...ctx(), asNumber: 65100 };
    expect(desiredBgp(builderWith([]).snapshot(), withEnv).asn).toBe(65100);
    expect(
      desiredBgp(builderWith([node("node1", "192.0.2.11", { asn: 65002 })]).snapshot(), withEnv)
        .asn,
    ).toBe(65002);
  });

  it("global BGPPeer to BIG-IP with password from a secret, TTL security, keepalive, port in peerIP, reachableBy", () => {
    const peer = res("BGPPeer", "bigip", {
      peerIP: "192.0.2.250:1179",
      asNumber: 64512,
      password: { secretKeyRef: { name: "bgp-secrets", key: "bigip" } },
      ttlSecurity: 1,
      keepaliveTime: "10s",
      reachableBy: "192.0.2.1",
      keepOriginalNextHop: true,
      maxRestartTime: "120s",
    });
    const d = desiredBgp(builderWith([...nodes, peer]).snapshot(), ctx());
    const { exportFilters, ...config } = d.peers.get("192.0.2.250")!.config;
    expect(exportFilters?.map((f) => f.metadata.name)).toEqual([CALICO_EXPORT]);
    expect({ ...d.peers.get("192.0.2.250"), config }).toEqual({
      source: "BGPPeer/bigip",
      config: {
        address: "192.0.2.250",
        port: 1179,
        asn: 64512,
        localAddress: "192.0.2.11",
        password: "s3cret",
        ttlSecurity: 1,
        keepaliveTime: 10,
        holdTime: 30,
        connectRetryTime: 5, // Calico's BIRD: connect retry time 5
        description: "Global_bigip",
        nextHopMode: "keep",
        gracefulRestart: { restartTime: 120 },
      },
      filters: [],
      reachableBy: "192.0.2.1",
    });
  });

  it("a missing secret drops that peer only and reports the field path; optional secrets are fine", () => {
    const bad = res("BGPPeer", "bad", {
      peerIP: "192.0.2.251",
      asNumber: 65000,
      password: { secretKeyRef: { name: "nope", key: "x" } },
    });
    const opt = res("BGPPeer", "opt", {
      peerIP: "192.0.2.252",
      asNumber: 65000,
      password: { secretKeyRef: { name: "nope", key: "x", optional: true } },
    });
    const d = desiredBgp(builderWith([...nodes, bad, opt]).snapshot(), ctx());
    expect(d.peers.has("192.0.2.251")).toBe(false);
    expect(d.peers.get("192.0.2.252")?.config.password).toBeUndefined();
    expect(d.issues).toEqual([
      {
        resource: "BGPPeer/bad",
        path: "spec.password",
        message: expect.stringContaining("nope/x"),
      },
    ]);
  });

  it("per-node BGPPeers: node and nodeSelector scope; sourceAddress None", () => {
    const labelled = [
      node("node1", "192.0.2.11", { labels: { rack: "a" } }),
      node("node2", "192.0.2.12", { labels: { rack: "b" } }),
    ];
    const tor = res("BGPPeer", "tor-a", {
      nodeSelector: "rack == 'a'",
      peerIP: "192.0.2.1",
      asNumber: 65010,
      sourceAddress: "None",
    });
    const only2 = res("BGPPeer", "only2", { node: "node2", peerIP: "192.0.2.2", asNumber: 65010 });
    const s = builderWith([...labelled, tor, only2]).snapshot();
    const d1 = desiredBgp(s, ctx());
    expect(d1.peers.get("192.0.2.1")?.config.localAddress).toBeUndefined();
    expect(d1.peers.has("192.0.2.2")).toBe(false);
    const d2 = desiredBgp(s, ctx("node2", "192.0.2.12"));
    expect(d2.peers.has("192.0.2.1")).toBe(false);
    expect(d2.peers.get("192.0.2.2")?.config.asn).toBe(65010);
  });

  it("route reflectors: clients peer with the RR nodes by peerSelector, the RR peers back with every client", () => {
    const ns = [
      node("node1", "192.0.2.11"),
      node("node2", "192.0.2.12"),
      node("rr1", "192.0.2.20", { labels: { "route-reflector": "true" }, rr: "224.0.0.1" }),
    ];
    const cfg = res("BGPConfiguration", "default", { nodeToNodeMeshEnabled: false });
    const rr = res("BGPPeer", "peer-with-rr", {
      nodeSelector: "all()",
      peerSelector: "route-reflector == 'true'",
    });
    const s = builderWith([...ns, cfg, rr]).snapshot();
    const client = desiredBgp(s, ctx());
    expect([...client.peers.keys()]).toEqual(["192.0.2.20"]);
    expect(client.clusterId).toBeUndefined();
    expect(client.peers.get("192.0.2.20")?.config.routeReflectorClient).toBeUndefined();
    const reflector = desiredBgp(s, ctx("rr1", "192.0.2.20"));
    expect(reflector.clusterId).toBe("224.0.0.1");
    expect([...reflector.peers.keys()].sort()).toEqual(["192.0.2.11", "192.0.2.12"]);
    for (const p of reflector.peers.values()) expect(p.config.routeReflectorClient).toBe(true);
    // with the mesh on: the reflector is in no mesh, and no mesh includes it
    const meshOn = builderWith([...ns, rr]).snapshot();
    expect([...desiredBgp(meshOn, ctx()).peers.keys()]).toEqual(["192.0.2.12", "192.0.2.20"]);
    expect(desiredBgp(meshOn, ctx()).peers.get("192.0.2.20")?.source).toBe("BGPPeer/peer-with-rr");
    expect(
      [...desiredBgp(meshOn, ctx("rr1", "192.0.2.20")).peers.values()].map((p) => p.source),
    ).toEqual(["BGPPeer/peer-with-rr", "BGPPeer/peer-with-rr"]);
  });

  it("BGPFilters go to the speaker as import and export filters; maxRestartTime per peer and for the mesh", () => {
    const f = res("BGPFilter", "only-pods", {
      exportV4: [
        { action: "Accept", matchOperator: "In", cidr: "198.51.100.0/24" },
        { action: "Reject" },
      ],
    });
    const p = res("BGPPeer", "tor", {
      peerIP: "192.0.2.1",
      asNumber: 65000,
      filters: ["only-pods"],
      maxRestartTime: "5m",
    });
    const cfg = res("BGPConfiguration", "default", { nodeMeshMaxRestartTime: "30s" });
    const d = desiredBgp(builderWith([...nodes, f, p, cfg]).snapshot(), ctx());
    const tor = d.peers.get("192.0.2.1")!.config;
    expect(tor.exportFilters?.slice(0, 1)).toEqual([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "BGPFilter",
        metadata: { name: "only-pods" },
        spec: f.spec,
      },
    ]);
    expect(tor.importFilters).toEqual(tor.exportFilters?.slice(0, 1));
    // then Calico's own: pools (export disabled: reject), service CIDRs, nothing else
    expect(tor.exportFilters?.[1]).toEqual({
      apiVersion: "projectcalico.org/v3",
      kind: "BGPFilter",
      metadata: { name: CALICO_EXPORT },
      spec: {
        exportV4: [{ action: "Reject" }],
        exportV6: [{ action: "Reject" }],
      },
    });
    const withPools = desiredBgp(
      builderWith([
        ...nodes,
        p,
        f,
        pool,
        res("IPPool", "quiet", { cidr: "203.0.113.0/24", disableBGPExport: true }),
        res("IPPool", "v6", { cidr: "2001:db8:1::/48" }),
        res("BGPConfiguration", "default", { serviceClusterIPs: [{ cidr: "192.0.2.128/25" }] }),
      ]).snapshot(),
      ctx(),
    );
    expect(withPools.peers.get("192.0.2.12")?.config.exportFilters?.[0]?.spec).toEqual({
      exportV4: [
        { action: "Accept", matchOperator: "In", cidr: "198.51.100.0/24" },
        { action: "Reject", matchOperator: "In", cidr: "203.0.113.0/24" },
        { action: "Accept", matchOperator: "In", cidr: "192.0.2.128/25" },
        { action: "Reject" },
      ],
      exportV6: [
        { action: "Accept", matchOperator: "In", cidr: "2001:db8:1::/48" },
        { action: "Reject" },
      ],
    });
    expect(tor.gracefulRestart).toEqual({ restartTime: 300 });
    expect(d.peers.get("192.0.2.12")?.config.gracefulRestart).toEqual({ restartTime: 30 });
    const bad = res("BGPPeer", "tor", {
      peerIP: "192.0.2.1",
      asNumber: 65000,
      maxRestartTime: "2h",
    });
    expect(desiredBgp(builderWith([...nodes, bad]).snapshot(), ctx()).issues).toEqual([
      {
        resource: "BGPPeer/tor",
        path: "spec.maxRestartTime",
        message: "not a duration of at most 4095 s: 2h",
      },
    ]);
  });

  it("an explicit BGPPeer wins over the mesh entry for the same address; unknown filters are reported", () => {
    const p = res("BGPPeer", "to-node2", {
      peerIP: "192.0.2.12",
      asNumber: 64512,
      filters: ["nope"],
      numAllowedLocalASNumbers: 2,
    });
    const d = desiredBgp(builderWith([...nodes, p]).snapshot(), ctx());
    expect(d.peers.get("192.0.2.12")).toMatchObject({
      source: "BGPPeer/to-node2",
      config: { allowAsIn: 2 },
    });
    expect(d.peers.get("192.0.2.12")?.config.importFilters).toBeUndefined();
    expect(d.issues).toEqual([
      { resource: "BGPPeer/to-node2", path: "spec.filters", message: "no BGPFilter named nope" },
    ]);
  });

  it("originates affine confirmed blocks in exportable pools, borrowed /32s outside them, service CIDRs, with communities", () => {
    const cfg = res("BGPConfiguration", "default", {
      communities: [{ name: "bigip", value: "64512:100" }],
      prefixAdvertisements: [
        { cidr: "198.51.100.0/24", communities: ["bigip", "65000:1:2"] },
        { cidr: "203.0.113.0/28", communities: ["64512:300"] },
      ],
      serviceClusterIPs: [{ cidr: "203.0.113.0/28" }],
      serviceExternalIPs: [{ cidr: "203.0.113.16/28" }],
      serviceLoadBalancerIPs: [{ cidr: "203.0.113.32/28" }],
    });
    const noExport = res("IPPool", "quiet", { cidr: "192.0.2.128/25", disableBGPExport: true });
    const s = builderWith(
      [...nodes, pool, noExport, cfg],
      [
        affinity("node1", "198.51.100.0/26"),
        affinity("node1", "198.51.100.192/26", "pending"),
        affinity("node2", "198.51.100.64/26"),
        affinity("node1", "192.0.2.128/26"),
        wep("node1", "a", ["198.51.100.5/32"]),
        wep("node1", "b", ["198.51.100.70/32"]), // borrowed from node2's block
        wep("node2", "c", ["198.51.100.71/32"]),
      ],
    ).snapshot();
    const d = desiredBgp(s, ctx());
    expect(d.blocks).toEqual(["192.0.2.128/26", "198.51.100.0/26"]);
    expect([...d.originate.values()]).toEqual([
      {
        prefix: "198.51.100.0/26",
        reason: "block",
        communities: ["64512:100"],
        largeCommunities: ["65000:1:2"],
      },
      {
        prefix: "198.51.100.70/32",
        reason: "borrowed",
        communities: ["64512:100"],
        largeCommunities: ["65000:1:2"],
      },
      { prefix: "203.0.113.0/28", reason: "service-cluster-ip", communities: ["64512:300"] },
      { prefix: "203.0.113.16/28", reason: "service-external-ip" },
      { prefix: "203.0.113.32/28", reason: "service-loadbalancer-ip" },
    ]);
  });

  it("connected prefixes in an exportable pool are announced, except on veths, kube-ipvs*, ignoredInterfaces and inside own blocks", () => {
    const interfaces = [
      { ifname: "eth0", cidr: "192.0.2.11/24" }, // not in a pool
      { ifname: "svc0", cidr: "198.51.100.200/32" },
      { ifname: "svc0", cidr: "198.51.100.201/32" },
      { ifname: "ign0", cidr: "198.51.100.210/32" },
      { ifname: "ign-x", cidr: "198.51.100.211/32" },
      { ifname: "kube-ipvs0", cidr: "198.51.100.220/32" },
      { ifname: "caliabc", cidr: "198.51.100.230/32" },
      { ifname: "tunl0", cidr: "198.51.100.5/32" }, // inside node1's block
      { ifname: "v6", cidr: "2001:db8:0:7::1/64" },
    ];
    const v6pool = res("IPPool", "v6", { cidr: "2001:db8::/48" });
    const originated = (extra: ReturnType<typeof res>[]) =>
      [
        ...desiredBgp(
          builderWith(
            [...nodes, pool, v6pool, ...extra],
            [affinity("node1", "198.51.100.0/26")],
          ).snapshot(),
          { ...ctx(), interfaces },
        ).originate.values(),
      ]
        .filter((r) => r.reason === "interface")
        .map((r) => r.prefix);
    expect(originated([])).toEqual([
      "198.51.100.200/32",
      "198.51.100.201/32",
      "198.51.100.210/32",
      "198.51.100.211/32",
      "2001:db8:0:7::/64",
    ]);
    const ignore = (spec: object, name = "default") => res("BGPConfiguration", name, spec);
    expect(originated([ignore({ ignoredInterfaces: ["ign*"] })])).toEqual([
      "198.51.100.200/32",
      "198.51.100.201/32",
      "2001:db8:0:7::/64",
    ]);
    // the node's own BGPConfiguration replaces the global list (Calico)
    expect(
      originated([
        ignore({ ignoredInterfaces: ["ign*"] }),
        ignore({ ignoredInterfaces: ["svc?", "v6"] }, "node.node1"),
      ]),
    ).toEqual(["198.51.100.210/32", "198.51.100.211/32"]);
  });

  it("a block whose pool is deleted is no longer originated (but still blackholed)", () => {
    const s = builderWith([...nodes], [affinity("node1", "198.51.100.0/26")]).snapshot();
    const d = desiredBgp(s, ctx());
    expect(d.originate.size).toBe(0);
    expect(d.blocks).toEqual(["198.51.100.0/26"]);
  });

  it("a community that is neither a name nor a value is reported, not sent", () => {
    const cfg = res("BGPConfiguration", "default", {
      prefixAdvertisements: [{ cidr: "198.51.100.0/24", communities: ["oops", "70000:1"] }],
    });
    const s = builderWith([...nodes, pool, cfg], [affinity("node1", "198.51.100.0/26")]).snapshot();
    const d = desiredBgp(s, ctx());
    expect(d.originate.get("198.51.100.0/26")).toEqual({
      prefix: "198.51.100.0/26",
      reason: "block",
    });
    expect(d.issues.map((i) => i.path)).toEqual([
      "spec.prefixAdvertisements.communities",
      "spec.prefixAdvertisements.communities",
    ]);
  });
});

describe("bgp-config: plans", () => {
  const base = () => builderWith([...nodes, pool], [affinity("node1", "198.51.100.0/26")]);

  it("first plan starts the speaker with every peer and prefix", () => {
    const p = planBgp(undefined, desiredBgp(base().snapshot(), ctx()));
    expect(p.restart).toBe(true);
    expect(p.addPeers.map((x) => x.config.address)).toEqual(["192.0.2.12", "192.0.2.13"]);
    expect(p.originate.map((x) => x.prefix)).toEqual(["198.51.100.0/26"]);
  });

  it("an unrelated edit changes nothing; a peer edit replaces that peer only", () => {
    const b = base();
    const d1 = desiredBgp(b.snapshot(), ctx());
    const extPeer = res("BGPPeer", "ext", { peerIP: "192.0.2.250", asNumber: 64512 });
    b.apply([
      {
        type: "put",
        key: "/calico/resources/v3/projectcalico.org/bgppeers/ext",
        value: JSON.stringify(extPeer),
      },
    ]);
    const d2 = desiredBgp(b.snapshot(), ctx());
    const p2 = planBgp(d1, d2);
    expect(p2).toMatchObject({
      restart: false,
      removePeers: [],
      replacePeers: [],
      originate: [],
      withdraw: [],
    });
    expect(p2.addPeers.map((x) => x.config.address)).toEqual(["192.0.2.250"]);
    // an unrelated resource: a new pool elsewhere
    b.apply([
      {
        type: "put",
        key: "/calico/resources/v3/projectcalico.org/ippools/other",
        value: JSON.stringify(res("IPPool", "other", { cidr: "203.0.113.0/24" })),
      },
    ]);
    const d3 = desiredBgp(b.snapshot(), ctx());
    const p3 = planBgp(d2, d3);
    // a new pool is exported too: every peer is re-filtered in place, no session reset
    expect(p3).toMatchObject({
      restart: false,
      addPeers: [],
      removePeers: [],
      replacePeers: [],
      originate: [],
      withdraw: [],
    });
    expect(p3.refilterPeers.map((x) => x.config.address).sort()).toEqual([
      "192.0.2.12",
      "192.0.2.13",
      "192.0.2.250",
    ]);
    expect(planBgp(d3, desiredBgp(b.snapshot(), ctx())).refilterPeers).toEqual([]);
    // the peer's AS changes: only that peer
    const changed = res("BGPPeer", "ext", { peerIP: "192.0.2.250", asNumber: 65000 });
    b.apply([
      {
        type: "put",
        key: "/calico/resources/v3/projectcalico.org/bgppeers/ext",
        value: JSON.stringify(changed),
      },
    ]);
    const p4 = planBgp(d3, desiredBgp(b.snapshot(), ctx()));
    expect(p4.replacePeers.map((x) => x.config.address)).toEqual(["192.0.2.250"]);
    expect(p4.addPeers).toEqual([]);
    expect(p4.restart).toBe(false);
  });

  it("an invalid edit keeps the last good resource: the plan is empty and the issue names the field", () => {
    const b = base();
    const peer = res("BGPPeer", "ext", { peerIP: "192.0.2.250", asNumber: 64512 });
    const key = "/calico/resources/v3/projectcalico.org/bgppeers/ext";
    b.apply([{ type: "put", key, value: JSON.stringify(peer) }]);
    const d1 = desiredBgp(b.snapshot(), ctx());
    const r = b.apply([
      {
        type: "put",
        key,
        value: JSON.stringify(res("BGPPeer", "ext", { peerIP: "192.0.2.250", asNumbr: 1 })),
      },
    ]);
    expect(r.newIssues.map((i) => [i.resource, i.path])).toEqual([
      ["BGPPeer/ext", "spec.asNumbr"],
      ["BGPPeer/ext", "spec.asNumber"],
    ]);
    expect(r.newIssues[0]!.message).toMatch(/asNumbr/);
    expect(b.snapshot().issues).toHaveLength(2);
    const p = planBgp(d1, desiredBgp(b.snapshot(), ctx()));
    expect(p).toEqual({
      restart: false,
      addPeers: [],
      removePeers: [],
      replacePeers: [],
      refilterPeers: [],
      originate: [],
      withdraw: [],
    });
  });

  it("a released affinity withdraws the block; an AS change restarts", () => {
    const b = base();
    const d1 = desiredBgp(b.snapshot(), ctx());
    b.apply([{ type: "delete", key: affinity("node1", "198.51.100.0/26").key }]);
    const d2 = desiredBgp(b.snapshot(), ctx());
    expect(planBgp(d1, d2).withdraw).toEqual(["198.51.100.0/26"]);
    b.apply([
      {
        type: "put",
        key: "/calico/resources/v3/projectcalico.org/bgpconfigurations/default",
        value: JSON.stringify(res("BGPConfiguration", "default", { asNumber: 65000 })),
      },
    ]);
    expect(planBgp(d2, desiredBgp(b.snapshot(), ctx())).restart).toBe(true);
  });
});
