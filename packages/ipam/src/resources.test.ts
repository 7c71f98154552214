import { loadResources, ResourceClient } from "@tortie/api";
import { MemoryStore } from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import { PoolOverlapError } from "./errors.js";
import { Ipam } from "./ipam.js";
import { ipamConfigFromResources, loadIpamConfig } from "./resources.js";

const YAML = `
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: pods }
spec: { cidr: 198.51.100.0/24, blockSize: 28 }
---
apiVersion: projectcalico.org/v3
kind: IPReservation
metadata: { name: gw }
spec: { reservedCIDRs: [198.51.100.0, 198.51.100.1] }
---
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata: { name: default }
spec: { strictAffinity: true, maxBlocksPerHost: 4 }
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: { name: bigip }
spec: { peerIP: 192.0.2.250, asNumber: 64512 }
`;

describe("IPAM configuration from Calico resources", () => {
  it("maps IPPool, IPReservation and IPAMConfiguration", async () => {
    const cfg = ipamConfigFromResources(loadResources(YAML));
    expect(cfg).toMatchObject({
      strictAffinity: true,
      maxBlocksPerHost: 4,
      reservations: ["198.51.100.0/32", "198.51.100.1/32"],
    });
    expect(cfg.pools.map((p) => [p.name, p.cidr, p.blockSize])).toEqual([
      ["pods", "198.51.100.0/24", 28],
    ]);
    const ipam = new Ipam({ store: new MemoryStore() });
    await ipam.updateConfig(() => cfg);
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n", num4: 2 });
    expect(r.ipv4.map((a) => a.ip)).not.toContain("198.51.100.0");
  });

  it("reads back exactly what it wrote, and reads an older record as autoAllocateBlocks: true", async () => {
    const cfg = ipamConfigFromResources(loadResources(YAML));
    expect(cfg.autoAllocateBlocks).toBe(true);
    const store = new MemoryStore();
    const ipam = new Ipam({ store });
    await ipam.updateConfig(() => cfg);
    // Same keys in the same order: callers compare configurations as JSON.
    expect(JSON.stringify(await ipam.config(true))).toBe(JSON.stringify(cfg));
    const { autoAllocateBlocks: _, ...old } = cfg;
    await store.txn({
      compare: [],
      ops: [{ type: "put", key: ipam.keys.config, value: JSON.stringify(old) }],
    });
    expect(await ipam.config(true)).toEqual(cfg);
  });

  it("reads the resources from the datastore (Calico's key layout) and applies them", async () => {
    const store = new MemoryStore();
    const client = new ResourceClient(store);
    for (const r of loadResources(YAML)) await client.apply(r);
    const ipam = new Ipam({ store });
    const cfg = await loadIpamConfig(client);
    await ipam.updateConfig(() => cfg);
    expect((await ipam.config(true)).pools.map((p) => p.name)).toEqual(["pods"]);
    expect((await ipam.config()).strictAffinity).toBe(true);
  });

  it("refuses overlapping pools from YAML", () => {
    const two = `${YAML}---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: { name: other }
spec: { cidr: 198.51.100.128/25 }
`;
    expect(() => ipamConfigFromResources(loadResources(two))).toThrow(PoolOverlapError);
  });
});
