import { describe, expect, it } from "vitest";
import { MemoryStore } from "../backends/memory.js";
import { KeyExistsError, RevisionMismatchError } from "../errors.js";
import { ResourceClient } from "./client.js";
import { loadResources, ResourceValidationError } from "./load.js";

// biome-ignore lint/suspicious/noExplicitAny: the tests inspect parsed output loosely
type Loose = any;

// Manifests in the shape users keep for calicoctl/kubectl.
const MANIFESTS = `
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-v4
spec:
  cidr: 198.51.100.0/24
  natOutgoing: true
  nodeSelector: rack == "r1"
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: pool-v6
spec:
  cidr: 2001:db8:100::/64
  vxlanMode: CrossSubnet
---
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata:
  name: default
spec:
  strictAffinity: true
---
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata:
  name: gateways
spec:
  reservedCIDRs: ["198.51.100.1", "198.51.100.248/29"]
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata:
  name: default
spec:
  nodeToNodeMeshEnabled: false
  asNumber: 64512
  serviceClusterIPs:
    - cidr: 203.0.113.0/24
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: bigip1
spec:
  peerIP: 192.0.2.250
  asNumber: 64512
  filters: [only-pods]
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata:
  name: only-pods
spec:
  exportV4:
    - action: Accept
      matchOperator: In
      cidr: 198.51.100.0/24
    - action: Reject
---
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: node-1
  labels: { rack: r1 }
spec:
  bgp:
    ipv4Address: 192.0.2.11/24
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.deny-bad
spec:
  tier: security
  order: 10
  selector: all()
  ingress:
    - action: Deny
      source:
        nets: [203.0.113.66/32]
    - action: Pass
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  selector: app == "web"
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [80, "8000:8080", http-alt]
  egress:
    - action: Allow
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: partners
  namespace: shop
spec:
  nets: [198.51.100.0/28, 2001:db8:7::/48]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: blocked
  labels: { role: blocked }
spec:
  nets: [203.0.113.0/25]
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata:
  name: node-1-eth0
spec:
  node: node-1
  interfaceName: eth0
  expectedIPs: [192.0.2.11]
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node--1-k8s-web--0-eth0
  namespace: shop
spec:
  orchestrator: k8s
  node: node-1
  pod: web-0
  endpoint: eth0
  ipNetworks: [198.51.100.7/32]
  interfaceName: cali1234
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelector:
    matchLabels: { app: db }
  ingress:
    - from:
        - podSelector: { matchLabels: { app: web } }
        - ipBlock: { cidr: 198.51.100.0/24, except: [198.51.100.128/25] }
      ports:
        - port: 5432
`;

describe("resource loading", () => {
  it("loads users' Calico and Kubernetes YAML as it is, with Calico's defaults", () => {
    const rs = loadResources(MANIFESTS);
    expect(rs.map((r) => r.kind)).toEqual([
      "IPPool",
      "IPPool",
      "IPAMConfiguration",
      "IPReservation",
      "BGPConfiguration",
      "BGPPeer",
      "BGPFilter",
      "Node",
      "Tier",
      "GlobalNetworkPolicy",
      "NetworkPolicy",
      "NetworkSet",
      "GlobalNetworkSet",
      "HostEndpoint",
      "WorkloadEndpoint",
      "NetworkPolicy",
    ]);
    const [v4, v6, ipamCfg] = rs as Loose[];
    expect(v4.spec).toMatchObject({
      blockSize: 26,
      ipipMode: "Never",
      vxlanMode: "Never",
      disabled: false,
      allowedUses: ["Workload", "Tunnel"],
      assignmentMode: "Automatic",
      natOutgoing: true,
    });
    expect(v6.spec.blockSize).toBe(122);
    expect(ipamCfg.spec).toEqual({
      strictAffinity: true,
      maxBlocksPerHost: 0,
      autoAllocateBlocks: true,
    });
    const bgp = rs[4] as Loose;
    expect(bgp.spec).toMatchObject({
      listenPort: 179,
      logSeverityScreen: "Info",
      nodeToNodeMeshEnabled: false,
    });
    expect((rs[5] as Loose).spec.sourceAddress).toBe("UseNodeIP");
    expect((rs[8] as Loose).spec.defaultAction).toBe("Deny");
    const np = rs[10] as Loose;
    expect(np.spec).toMatchObject({ tier: "default", types: ["Ingress", "Egress"] });
    expect((rs[9] as Loose).spec.types).toEqual(["Ingress"]);
    const k8s = rs[15] as Loose;
    expect(k8s.spec.policyTypes).toEqual(["Ingress"]);
    expect(k8s.spec.ingress[0].ports[0]).toEqual({ protocol: "TCP", port: 5432 });
  });

  it("fills defaults of an empty spec and a missing namespace", () => {
    const [bgp, ns] = loadResources(`
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: { name: default }
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: { name: x }
`) as Loose[];
    expect(bgp.spec).toEqual({
      logSeverityScreen: "Info",
      nodeToNodeMeshEnabled: true,
      asNumber: 64512,
      listenPort: 179,
    });
    expect(ns.metadata.namespace).toBe("default");
    expect(ns.spec.nets).toEqual([]);
  });

  it("unwraps List kinds", () => {
    const rs = loadResources(`
apiVersion: projectcalico.org/v3
kind: IPPoolList
items:
  - kind: IPPool
    metadata: { name: a }
    spec: { cidr: 192.0.2.0/25 }
  - kind: IPPool
    metadata: { name: b }
    spec: { cidr: 192.0.2.128/25, blockSize: 28 }
`);
    expect(rs.map((r) => (r.spec as { blockSize: number }).blockSize)).toEqual([26, 28]);
  });

  const bad: [string, RegExp][] = [
    [
      "kind: IPPool\nmetadata: {name: p}\nspec: {cidr: 192.0.2.0/24, blockSize: 19}",
      /IPPool\/p: spec\.blockSize: must be between 20 and 32/,
    ],
    [
      "kind: IPPool\nmetadata: {name: p}\nspec: {cidr: 192.0.2.0/26, blockSize: 24}",
      /spec\.blockSize: a \/24 block is larger than the pool 192\.0\.2\.0\/26/,
    ],
    [
      "kind: IPPool\nmetadata: {name: p}\nspec: {cidr: 192.0.2.0/24, blockSzie: 26}",
      /IPPool\/p: spec: unknown field\(s\) blockSzie/,
    ],
    [
      "kind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.300/24}",
      /spec\.cidr: must be an IPv4 or IPv6 CIDR/,
    ],
    [
      "kind: IPPool\nmetadata: {name: Pool_1}\nspec: {cidr: 192.0.2.0/24}",
      /metadata\.name: must be a DNS-1123 subdomain/,
    ],
    [
      "kind: IPAMConfiguration\nmetadata: {name: other}\nspec: {}",
      /metadata\.name: the IPAMConfiguration must be named "default"/,
    ],
    [
      "kind: BGPPeer\nmetadata: {name: x}\nspec: {peerIP: 192.0.2.9}",
      /spec\.asNumber: is required with peerIP/,
    ],
    [
      "kind: GlobalNetworkPolicy\nmetadata: {name: x}\nspec: {ingress: [{action: Allow, destination: {ports: [80]}}]}",
      /spec\.ingress\[0\]\.protocol: ports need protocol/,
    ],
    [
      "kind: NetworkPolicy\nmetadata: {name: x}\nspec: {egress: [{action: Allowed}]}",
      /spec\.egress\[0\]\.action/,
    ],
    [
      "kind: HostEndpoint\nmetadata: {name: x}\nspec: {node: n}",
      /spec\.interfaceName: interfaceName or expectedIPs is required/,
    ],
    [
      "kind: Widget\nmetadata: {name: x}",
      /kind: unknown apiVersion\/kind projectcalico\.org\/v3\/Widget/,
    ],
  ];
  for (const [body, msg] of bad) {
    it(`rejects ${msg.source.slice(0, 50)}`, () => {
      const text = `apiVersion: projectcalico.org/v3\n${body}\n`;
      expect(() => loadResources(text)).toThrow(ResourceValidationError);
      expect(() => loadResources(text)).toThrow(msg);
    });
  }

  it("names the path in Kubernetes NetworkPolicy errors", () => {
    const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x}
spec:
  ingress:
    - ports: [{port: 80, endPort: 70}]
      from: [{ipBlock: {cidr: 198.51.100.0/24}, podSelector: {}}]
`;
    const err = (() => {
      try {
        loadResources(text);
      } catch (e) {
        return e as ResourceValidationError;
      }
    })();
    expect(err?.issues.map((i) => i.path).sort()).toEqual([
      "spec.ingress[0].from[0].ipBlock",
      "spec.ingress[0].ports[0].endPort",
    ]);
  });

  it("reports YAML syntax errors with the document number", () => {
    expect(() => loadResources("a: 1\n---\nkind: [unclosed\n")).toThrow(/document 2: YAML/);
  });
});

describe("resource client", () => {
  it("creates, lists, updates with compare-and-swap, applies and deletes", async () => {
    const c = new ResourceClient(new MemoryStore());
    const [pool, np] = loadResources(MANIFESTS).filter(
      (r) => r.metadata.name === "pool-v4" || r.metadata.name === "allow-web",
    );
    const made = await c.create(pool);
    expect(made.metadata.resourceVersion).toMatch(/^\d+$/);
    await expect(c.create(pool)).rejects.toThrow(KeyExistsError);
    expect(c.keyOf({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "pool-v4" })).toBe(
      "/calico/resources/v3/projectcalico.org/ippools/pool-v4",
    );
    await c.create(np);
    expect(
      c.keyOf({
        apiVersion: "projectcalico.org/v3",
        kind: "NetworkPolicy",
        name: "allow-web",
        namespace: "shop",
      }),
    ).toBe("/calico/resources/v3/projectcalico.org/networkpolicies/shop/allow-web");
    expect(
      (await c.list("projectcalico.org/v3", "NetworkPolicy", "shop")).map((r) => r.metadata.name),
    ).toEqual(["allow-web"]);
    expect(await c.list("projectcalico.org/v3", "NetworkPolicy", "other")).toEqual([]);

    const edited = { ...made, spec: { ...(made.spec as object), disabled: true } };
    const updated = await c.update(edited);
    expect((updated.spec as { disabled: boolean }).disabled).toBe(true);
    await expect(c.update(edited)).rejects.toThrow(RevisionMismatchError); // stale resourceVersion
    const applied = await c.apply({
      ...pool,
      spec: { ...(pool!.spec as object), natOutgoing: false },
    });
    expect((applied.spec as { natOutgoing: boolean }).natOutgoing).toBe(false);
    expect(
      await c.delete({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "pool-v4" }),
    ).toBe(true);
    expect(
      await c.get({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "pool-v4" }),
    ).toBeUndefined();
    await expect(
      c.create({
        apiVersion: "projectcalico.org/v3",
        kind: "IPPool",
        metadata: { name: "x" },
        spec: {},
      }),
    ).rejects.toThrow(/IPPool\/x: spec\.cidr/);
  });
});
