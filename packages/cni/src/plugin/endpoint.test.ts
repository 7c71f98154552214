import { parseWorkloadEndpointName, validateResource } from "@tortie/api";
import { MemoryStore } from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import {
  CALICO_WORKLOAD_ENDPOINTS,
  calicoEndpointName,
  DatastoreEndpoints,
  endpointDocument,
  endpointKey,
  type WorkloadEndpoint,
} from "./endpoint.js";

const ep: WorkloadEndpoint = {
  node: "node-1",
  network: "k8s-pod-network",
  containerId: "c0ffee",
  ifname: "eth0",
  hostInterface: "cali0123456789a",
  mac: "ee:ee:ee:ee:ee:ee",
  ipNetworks: ["198.51.100.7/32"],
  namespace: "prod",
  pod: "web-1",
  labels: { app: "web" },
};

describe("workload endpoints", () => {
  it("are valid Calico WorkloadEndpoint resources, named as Calico names them", () => {
    const r = validateResource(endpointDocument(ep)) as {
      metadata: { name: string; namespace: string };
    };
    expect(r.metadata).toMatchObject({ name: "node--1-k8s-web--1-eth0", namespace: "prod" });
    expect(parseWorkloadEndpointName(calicoEndpointName(ep))).toEqual({
      node: "node-1",
      orchestrator: "k8s",
      workload: "web-1",
      endpoint: "eth0",
    });
    // Without Kubernetes arguments the container id names the workload.
    const plain = { ...ep, namespace: undefined, pod: undefined };
    expect(calicoEndpointName(plain)).toBe("node--1-cni-c0ffee-eth0");
    expect(() => validateResource(endpointDocument(plain))).not.toThrow();
  });

  it("are written once, in Calico's key layout, and DEL finds and removes them", async () => {
    const store = new MemoryStore();
    const sink = new DatastoreEndpoints(store);
    await sink.put(ep);
    // another pod's endpoint on the same node and interface name, and one on another node
    await sink.put({ ...ep, containerId: "c1", pod: "web-2" });
    await sink.put({ ...ep, node: "node-2", containerId: "c2" });
    const calicoKey = `${CALICO_WORKLOAD_ENDPOINTS}prod/node--1-k8s-web--1-eth0`;
    const keys = async () => (await store.list("/")).kvs.map((k) => k.key).sort();
    expect(await keys()).toEqual(
      [
        calicoKey,
        `${CALICO_WORKLOAD_ENDPOINTS}prod/node--1-k8s-web--2-eth0`,
        `${CALICO_WORKLOAD_ENDPOINTS}prod/node--2-k8s-web--1-eth0`,
      ].sort(),
    );
    expect(JSON.parse((await store.get(calicoKey))!.value)).toEqual(endpointDocument(ep));
    // the wrong network leaves it
    await sink.delete("node-1", "other-network", "c0ffee", "eth0");
    expect(await keys()).toContain(calicoKey);
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect(await keys()).not.toContain(calicoKey);
    expect(await keys()).toHaveLength(2);
    // A second DEL is fine.
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect(await keys()).toHaveLength(2);
    // without Kubernetes arguments: named by container id, namespace "default"
    const plain = { ...ep, containerId: "c3", namespace: undefined, pod: undefined };
    await sink.put(plain);
    expect(await keys()).toContain(`${CALICO_WORKLOAD_ENDPOINTS}default/node--1-cni-c3-eth0`);
    await sink.delete("node-1", "k8s-pod-network", "c3", "eth0");
    expect(await keys()).toHaveLength(2);
    await store.close();
  });

  it("DEL also removes the copy an earlier plugin wrote beside the resource", async () => {
    const store = new MemoryStore();
    const sink = new DatastoreEndpoints(store);
    await sink.put(ep);
    const legacy = endpointKey("node-1", "k8s-pod-network", "c0ffee", "eth0");
    await store.create(legacy, JSON.stringify(endpointDocument(ep)));
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect((await store.list("/")).kvs).toEqual([]);
    // a lone old copy too
    await store.create(legacy, JSON.stringify(endpointDocument(ep)));
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect((await store.list("/")).kvs).toEqual([]);
    await store.close();
  });

  it("DEL does not remove an endpoint rewritten after it was read", async () => {
    const store = new MemoryStore();
    const sink = new DatastoreEndpoints(store);
    await sink.put(ep);
    const key = `${CALICO_WORKLOAD_ENDPOINTS}prod/node--1-k8s-web--1-eth0`;
    // a store that lets an ADD of the same pod land between DEL's read and its delete
    const racing = new Proxy(store, {
      get(t, p, r) {
        if (p !== "txn") return Reflect.get(t, p, r);
        return async (req: Parameters<MemoryStore["txn"]>[0]) => {
          await sink.put({ ...ep, containerId: "c0ffee", mac: "ee:ee:ee:ee:ee:01" });
          return t.txn(req);
        };
      },
    });
    await new DatastoreEndpoints(racing).delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect(JSON.parse((await store.get(key))!.value).spec.mac).toBe("ee:ee:ee:ee:ee:01");
    await store.close();
  });
});
