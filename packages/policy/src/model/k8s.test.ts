import { describe, expect, it } from "vitest";
import { convertK8sNetworkPolicy } from "./k8s.js";
import { loadResources } from "./load.js";

type K8sNetworkPolicy = Parameters<typeof convertK8sNetworkPolicy>[0];
const np = (spec: K8sNetworkPolicy["spec"]): K8sNetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "p", namespace: "ns1" },
  spec,
});

describe("Kubernetes NetworkPolicy → Calico, as Calico converts", () => {
  it("deny-all: empty podSelector, Ingress type, no rules", () => {
    expect(convertK8sNetworkPolicy(np({ podSelector: {}, policyTypes: ["Ingress"] }))).toEqual({
      apiVersion: "projectcalico.org/v3",
      kind: "NetworkPolicy",
      metadata: { name: "knp.default.p", namespace: "ns1" },
      spec: { tier: "default", order: 1000, selector: "all()", types: ["Ingress"], ingress: [] },
    });
  });

  it("types default to Ingress, plus Egress when egress rules exist", () => {
    expect(convertK8sNetworkPolicy(np({ podSelector: {} })).spec.types).toEqual(["Ingress"]);
    expect(convertK8sNetworkPolicy(np({ podSelector: {}, egress: [{}] })).spec.types).toEqual([
      "Ingress",
      "Egress",
    ]);
  });

  it("peers × protocols, named ports, endPort, ipBlock with except", () => {
    const c = convertK8sNetworkPolicy(
      np({
        podSelector: { matchLabels: { app: "web" } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { role: "fe" } } },
              { namespaceSelector: {} },
              { ipBlock: { cidr: "198.51.100.0/24", except: ["198.51.100.128/25"] } },
            ],
            ports: [
              { port: 80 },
              { port: "http" },
              { protocol: "UDP", port: 53 },
              { port: 9000, endPort: 9100 },
            ],
          },
        ],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { env: "x" } }, podSelector: {} }] }],
      }),
    );
    expect(c.spec.selector).toBe('app == "web"');
    expect(c.spec.ingress).toEqual([
      {
        action: "Allow",
        protocol: "TCP",
        source: { selector: 'role == "fe"' },
        destination: { ports: [80, "http", "9000:9100"] },
      },
      {
        action: "Allow",
        protocol: "UDP",
        source: { selector: 'role == "fe"' },
        destination: { ports: [53] },
      },
      {
        action: "Allow",
        protocol: "TCP",
        source: { namespaceSelector: "all()" },
        destination: { ports: [80, "http", "9000:9100"] },
      },
      {
        action: "Allow",
        protocol: "UDP",
        source: { namespaceSelector: "all()" },
        destination: { ports: [53] },
      },
      {
        action: "Allow",
        protocol: "TCP",
        source: { nets: ["198.51.100.0/24"], notNets: ["198.51.100.128/25"] },
        destination: { ports: [80, "http", "9000:9100"] },
      },
      {
        action: "Allow",
        protocol: "UDP",
        source: { nets: ["198.51.100.0/24"], notNets: ["198.51.100.128/25"] },
        destination: { ports: [53] },
      },
    ]);
    expect(c.spec.egress).toEqual([
      { action: "Allow", destination: { selector: "all()", namespaceSelector: 'env == "x"' } },
    ]);
  });

  it("a port entry without a port means every port of its protocol", () => {
    const c = convertK8sNetworkPolicy(
      np({ podSelector: {}, ingress: [{ ports: [{ protocol: "UDP" }, { port: 80 }] }] }),
    );
    expect(c.spec.ingress).toEqual([
      { action: "Allow", protocol: "UDP" },
      { action: "Allow", protocol: "TCP", destination: { ports: [80] } },
    ]);
  });

  it("loads multi-document YAML and Lists, converting Kubernetes policies", () => {
    const rs = loadResources(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: n}
spec: {podSelector: {}}
---
apiVersion: v1
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkSet
  metadata: {name: s, labels: {x: "1"}}
  spec: {nets: ["203.0.113.0/24"]}
`);
    expect(rs.map((r) => `${r.apiVersion} ${r.kind} ${r.metadata.name}`)).toEqual([
      "projectcalico.org/v3 NetworkPolicy knp.default.a",
      "projectcalico.org/v3 GlobalNetworkSet s",
    ]);
  });
});
