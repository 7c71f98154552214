// Every corpus file loads unchanged, and the fields Tortie keeps but does not
// act on are exactly the ones listed here (so a schema change that starts
// refusing or silently ignoring a documented field fails this test).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseResources } from "./load.js";

const root = join(import.meta.dirname, "..", "corpus");
const files = ["f5-lab", "calico-docs"].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => `${d}/${f}`),
);

const expectedUnused: Record<string, string[]> = {
  "calico-docs/bgp.yaml": [
    "BGPConfiguration default spec.logSeverityScreen",
    "BGPConfiguration default spec.nodeMeshMaxRestartTime",
    "BGPConfiguration default spec.serviceClusterIPs",
    "BGPConfiguration default spec.serviceExternalIPs",
    "BGPConfiguration default spec.bindMode",
    "BGPConfiguration default spec.communities",
    "BGPConfiguration default spec.prefixAdvertisements",
  ],
  "calico-docs/cluster.yaml": [
    "FelixConfiguration default (kind)",
    "ClusterInformation default (kind)",
    "KubeControllersConfiguration default (kind)",
  ],
  "calico-docs/endpoints.yaml": [
    "WorkloadEndpoint default/node1-k8s-my--nginx--b1337a-eth0 spec.ports[0].hostPort",
  ],
  "calico-docs/ippools.yaml": [
    "IPPool my.ippool-1 spec.ipipMode",
    "IPPool my.ippool-1 spec.natOutgoing",
    "IPPool v6-pool spec.vxlanMode",
  ],
  "calico-docs/kubectl-list.yaml": [
    "IPPool default-ipv4-ippool spec.ipipMode",
    "IPPool default-ipv4-ippool spec.natOutgoing",
    "Namespace production spec.finalizers",
  ],
  "calico-docs/policies.yaml": [
    "GlobalNetworkPolicy http-only spec.ingress[0].http",
    "GlobalNetworkPolicy http-only spec.performanceHints",
    "StagedNetworkPolicy production/default.preview-db (kind)",
  ],
  "f5-lab/bgpconfig.yaml": ["BGPConfiguration default spec.logSeverityScreen"],
  "f5-lab/ippool.yaml": [
    "IPPool default-ipv4-ippool spec.ipipMode",
    "IPPool default-ipv4-ippool spec.vxlanMode",
    "IPPool default-ipv4-ippool spec.natOutgoing",
  ],
};

describe("corpus", () => {
  it("has the F5 lab and the documentation examples", () => {
    expect(files).toContain("f5-lab/calipeer.yaml");
    expect(files.filter((f) => f.startsWith("calico-docs/")).length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)("%s loads unchanged, with exactly the expected unused fields", (f) => {
    const { resources, unused } = parseResources(readFileSync(join(root, f), "utf8"));
    expect(resources.length).toBeGreaterThan(0);
    expect(unused.map((u) => `${u.resource} ${u.path || "(kind)"}`)).toEqual(
      expectedUnused[f] ?? [],
    );
  });

  it("covers every listed kind", () => {
    const kinds = new Set(
      files.flatMap((f) =>
        parseResources(readFileSync(join(root, f), "utf8")).resources.map(
          (r) => `${r.apiVersion} ${r.kind}`,
        ),
      ),
    );
    for (const k of [
      "IPPool",
      "IPReservation",
      "IPAMConfiguration",
      "BlockAffinity",
      "BGPConfiguration",
      "BGPPeer",
      "BGPFilter",
      "Node",
      "FelixConfiguration",
      "ClusterInformation",
      "KubeControllersConfiguration",
      "NetworkPolicy",
      "GlobalNetworkPolicy",
      "StagedNetworkPolicy",
      "Tier",
      "NetworkSet",
      "GlobalNetworkSet",
      "HostEndpoint",
      "WorkloadEndpoint",
      "Profile",
    ]) {
      expect(kinds, k).toContain(`projectcalico.org/v3 ${k}`);
    }
    expect(kinds).toContain("networking.k8s.io/v1 NetworkPolicy");
    expect(kinds).toContain("v1 Namespace");
  });

  it("reads the F5 lab's values with Calico's defaults", () => {
    const load = (f: string) => parseResources(readFileSync(join(root, f), "utf8")).resources;
    const [cfg] = load("f5-lab/bgpconfig.yaml");
    const [peer] = load("f5-lab/calipeer.yaml");
    const [pool] = load("f5-lab/ippool.yaml");
    expect(cfg).toMatchObject({
      kind: "BGPConfiguration",
      spec: { asNumber: 64512, nodeToNodeMeshEnabled: true, listenPort: 179 },
    });
    expect(peer).toMatchObject({
      kind: "BGPPeer",
      spec: { peerIP: "192.0.2.250", asNumber: 64512, sourceAddress: "UseNodeIP" },
    });
    expect(pool).toMatchObject({
      kind: "IPPool",
      spec: { cidr: "198.51.100.0/24", blockSize: 26, allowedUses: ["Workload", "Tunnel"] },
    });
  });
});
