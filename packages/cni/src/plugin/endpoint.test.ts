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

  it("are written in Calico's key layout and the plugin's own, and DEL removes both", async () => {
    const store = new MemoryStore();
    const sink = new DatastoreEndpoints(store);
    await sink.put(ep);
    const calicoKey = `${CALICO_WORKLOAD_ENDPOINTS}prod/node--1-k8s-web--1-eth0`;
    expect((await store.list("/")).kvs.map((k) => k.key).sort()).toEqual(
      [calicoKey, endpointKey("node-1", "k8s-pod-network", "c0ffee", "eth0")].sort(),
    );
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    expect((await store.list("/")).kvs).toEqual([]);
    // A second DEL is fine.
    await sink.delete("node-1", "k8s-pod-network", "c0ffee", "eth0");
    await store.close();
  });
});
