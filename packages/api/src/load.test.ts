import { describe, expect, it } from "vitest";
import { ResourceValidationError } from "./errors.js";
import { checkResource, loadResources, parseResources, validateResource } from "./load.js";

const v3 = "apiVersion: projectcalico.org/v3";

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ResourceValidationError);
    return (e as ResourceValidationError).issues;
  }
  throw new Error("expected a ResourceValidationError");
}

describe("users' YAML as it is", () => {
  it("loads several documents, skipping empty ones", () => {
    const rs = loadResources(`---
${v3}
kind: Tier
metadata: {name: a}
---
---
${v3}
kind: Tier
metadata: {name: b}
...
`);
    expect(rs.map((r) => r.metadata.name)).toEqual(["a", "b"]);
  });

  it("unwraps List and <Kind>List, items inheriting apiVersion and kind", () => {
    const rs = loadResources(`${v3}
kind: IPPoolList
items:
  - metadata: {name: p1}
    spec: {cidr: 192.0.2.0/24}
  - metadata: {name: p2}
    spec: {cidr: 198.51.100.0/24}
`);
    expect(rs.map((r) => `${r.kind} ${r.metadata.name}`)).toEqual(["IPPool p1", "IPPool p2"]);
  });

  it("keeps metadata the API server adds and a status block", () => {
    const [r] = loadResources(`${v3}
kind: IPPool
metadata:
  name: p
  uid: 1f0c
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations: {a: b}
  labels: {c: d}
  managedFields: [{manager: kubectl}]
spec: {cidr: 192.0.2.0/24}
status: {conditions: [{type: Ready}]}
`);
    expect(r!.metadata).toMatchObject({
      uid: "1f0c",
      resourceVersion: "42",
      generation: 3,
      labels: { c: "d" },
    });
    expect((r as { status?: unknown }).status).toEqual({ conditions: [{ type: "Ready" }] });
  });

  it("keeps fields Calico accepts that Tortie does not act on, and reports them", () => {
    const { resources, unused } = parseResources(`${v3}
kind: IPPool
metadata: {name: p}
spec: {cidr: 192.0.2.0/24, natOutgoing: true, ipipMode: Always}
---
${v3}
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  performanceHints: [AssumeNeededOnEveryNode]
  ingress: [{action: Allow, http: {methods: [GET]}}]
`);
    expect(resources[0]!.spec).toMatchObject({ natOutgoing: true, ipipMode: "Always" });
    expect((resources[1]!.spec as { ingress: { http?: unknown }[] }).ingress[0]!.http).toEqual({
      methods: ["GET"],
    });
    expect(unused).toEqual([
      { resource: "IPPool p", path: "spec.natOutgoing" },
      { resource: "IPPool p", path: "spec.ipipMode" },
      { resource: "GlobalNetworkPolicy g", path: "spec.performanceHints" },
      { resource: "GlobalNetworkPolicy g", path: "spec.ingress[0].http" },
    ]);
  });

  it("reports a kind Tortie never acts on as a whole", () => {
    const c = checkResource({
      apiVersion: "projectcalico.org/v3",
      kind: "FelixConfiguration",
      metadata: { name: "default" },
      spec: { bpfEnabled: true, logSeverityScreen: "Info" },
    });
    expect(c.unused).toEqual([{ resource: "FelixConfiguration default", path: "" }]);
  });

  it("applies Calico's defaults", () => {
    const [pool, pool6, cfg, np, tier] = loadResources(`${v3}
kind: IPPool
metadata: {name: p}
spec: {cidr: 192.0.2.0/24}
---
${v3}
kind: IPPool
metadata: {name: p6}
spec: {cidr: "2001:db8::/64"}
---
${v3}
kind: BGPConfiguration
metadata: {name: default}
---
${v3}
kind: NetworkPolicy
metadata: {name: n}
spec: {ingress: [{action: Allow}]}
---
${v3}
kind: Tier
metadata: {name: t}
`);
    expect(pool!.spec).toMatchObject({
      blockSize: 26,
      nodeSelector: "all()",
      allowedUses: ["Workload", "Tunnel"],
      ipipMode: "Never",
      vxlanMode: "Never",
      natOutgoing: false,
      disabled: false,
      assignmentMode: "Automatic",
    });
    expect(pool6!.spec).toMatchObject({ blockSize: 122 });
    expect(cfg!.spec).toMatchObject({
      asNumber: 64512,
      nodeToNodeMeshEnabled: true,
      listenPort: 179,
    });
    expect(np!.metadata.namespace).toBe("default");
    expect(np!.spec).toMatchObject({ tier: "default", selector: "all()", types: ["Ingress"] });
    expect(tier!.spec).toEqual({ defaultAction: "Deny" });
  });
});

describe("policy types default (absent or empty)", () => {
  const calico = (spec: object) =>
    (
      validateResource({
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "x" },
        spec,
      }).spec as { types: string[] }
    ).types;
  const k8s = (spec: object) =>
    (
      validateResource({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "x" },
        spec,
      }).spec as { policyTypes: string[] }
    ).policyTypes;
  const r = { action: "Allow" };
  it.each([
    [{}, ["Ingress"]],
    [{ types: [] }, ["Ingress"]],
    [{ ingress: [r] }, ["Ingress"]],
    [{ egress: [r] }, ["Egress"]],
    [{ types: [], egress: [r] }, ["Egress"]],
    [{ ingress: [r], egress: [r] }, ["Ingress", "Egress"]],
    [{ types: ["Egress"], ingress: [r] }, ["Egress"]],
  ])("Calico %j → %j", (spec, want) => expect(calico(spec)).toEqual(want));
  it.each([
    [{}, ["Ingress"]],
    [{ policyTypes: [] }, ["Ingress"]],
    [{ egress: [{}] }, ["Ingress", "Egress"]],
    [{ policyTypes: [], egress: [{}] }, ["Ingress", "Egress"]],
    [{ policyTypes: ["Egress"] }, ["Egress"]],
  ])("Kubernetes %j → %j", (spec, want) => expect(k8s(spec)).toEqual(want));
});

describe("errors name the field", () => {
  it("a misspelled field names the closest valid one, at every depth", () => {
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    expect(
      [
        ...issuesOf(() =>
          loadResources(`${v3}
kind: GlobalNetworkPolicy
metadata: {name: g, lables: {a: b}}
sepc: {}
spec:
  selecter: all()
  ingress: [{action: Allow, source: {notSelecter: all()}, protcol: TCP}]
`),
        ),
      ].sort(byPath),
    ).toEqual(
      [
        { path: "metadata.lables", message: 'unknown field "lables" (did you mean "labels"?)' },
        { path: "spec.selecter", message: 'unknown field "selecter" (did you mean "selector"?)' },
        {
          path: "spec.ingress[0].source.notSelecter",
          message: 'unknown field "notSelecter" (did you mean "notSelector"?)',
        },
        {
          path: "spec.ingress[0].protcol",
          message: 'unknown field "protcol" (did you mean "protocol"?)',
        },
        { path: "sepc", message: 'unknown field "sepc" (did you mean "spec"?)' },
      ].sort(byPath),
    );
  });

  it("an unknown field far from every name is still an error", () => {
    expect(
      issuesOf(() =>
        validateResource({
          apiVersion: "projectcalico.org/v3",
          kind: "Tier",
          metadata: { name: "t" },
          spec: { replicas: 3 },
        }),
      ),
    ).toEqual([{ path: "spec.replicas", message: 'unknown field "replicas"' }]);
  });

  it("a selector error carries its position inside the selector", () => {
    const issues = issuesOf(() =>
      validateResource({
        apiVersion: "projectcalico.org/v3",
        kind: "NetworkPolicy",
        metadata: { name: "n", namespace: "ns" },
        spec: {
          selector: "a == ",
          ingress: [{ action: "Allow", source: { selector: "role in {'a' 'b'}" } }],
        },
      }),
    );
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ path: "spec.selector", position: 5 });
    expect(issues[1]).toMatchObject({ path: "spec.ingress[0].source.selector", position: 13 });
  });

  it("a Kubernetes label selector follows Kubernetes' rules", () => {
    const np = (podSelector: unknown) => () =>
      validateResource({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "n", namespace: "ns" },
        spec: { podSelector },
      });
    expect(issuesOf(np({ matchExpressions: [{ key: "a", operator: "In" }] }))).toEqual([
      {
        path: "spec.podSelector.matchExpressions[0].values",
        message: "operator In needs at least one value",
      },
    ]);
    expect(
      issuesOf(np({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }))[0]!
        .path,
    ).toBe("spec.podSelector.matchExpressions[0].values");
    expect(np({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["x"] }] })().kind).toBe(
      "NetworkPolicy",
    );
  });

  it("a missing required field says so", () => {
    expect(
      issuesOf(() =>
        validateResource({
          apiVersion: "projectcalico.org/v3",
          kind: "IPPool",
          metadata: { name: "p" },
        }),
      ),
    ).toEqual([
      { path: "spec.cidr", message: "required: must be an IPv4 or IPv6 CIDR such as 192.0.2.0/24" },
    ]);
  });

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"])(
    "kind %s is a validation error, not a TypeError",
    (kind) => {
      const o = JSON.parse(
        `{"apiVersion":"projectcalico.org/v3","kind":${JSON.stringify(kind)},"metadata":{"name":"x"}}`,
      );
      expect(issuesOf(() => validateResource(o))[0]).toMatchObject({ path: "kind" });
      expect(
        issuesOf(() => loadResources(`${v3}\nkind: ${kind}\nmetadata: {name: x}\n`))[0],
      ).toMatchObject({ path: "kind" });
    },
  );

  it("a misspelled kind or apiVersion names the closest", () => {
    expect(
      issuesOf(() => loadResources(`${v3}\nkind: IPPol\nmetadata: {name: x}\n`))[0]!.message,
    ).toContain('did you mean "IPPool"');
    expect(
      issuesOf(() =>
        loadResources("apiVersion: projectcalico.org/v1\nkind: IPPool\nmetadata: {name: x}\n"),
      )[0]!.message,
    ).toContain('did you mean "projectcalico.org/v3"');
  });

  it("a __proto__ key in a spec is an unknown field, and pollutes nothing", () => {
    const issues = issuesOf(() =>
      validateResource(
        JSON.parse(
          '{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"t"},"spec":{"__proto__":{"polluted":1}}}',
        ),
      ),
    );
    expect(issues[0]!.path).toBe("spec.__proto__");
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("kernel facts at the edge", () => {
  const wep = (interfaceName: string) => ({
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: { name: "w", namespace: "ns" },
    spec: { interfaceName },
  });
  it("accepts a 15-byte interface name", () => {
    expect(validateResource(wep("cali0123456789a")).spec).toMatchObject({
      interfaceName: "cali0123456789a",
    });
  });
  it.each(["cali0123456789ab", "", "a/b", "a b", ".", "..", "caliéééééééé"])(
    "refuses interface name %j",
    (n) => {
      expect(issuesOf(() => validateResource(wep(n)))[0]!.path).toBe("spec.interfaceName");
    },
  );
  it("refuses a long host endpoint interface name too", () => {
    expect(
      issuesOf(() =>
        validateResource({
          apiVersion: "projectcalico.org/v3",
          kind: "HostEndpoint",
          metadata: { name: "h" },
          spec: { interfaceName: "enp0s31f6-very-long" },
        }),
      )[0]!.path,
    ).toBe("spec.interfaceName");
  });
  it("refuses an endpoint port with an unknown protocol, defaults a missing one to TCP", () => {
    const w = (protocol?: string) => ({
      ...wep("eth0"),
      spec: { ports: [{ name: "http", port: 80, ...(protocol ? { protocol } : {}) }] },
    });
    expect(issuesOf(() => validateResource(w("HTTP")))[0]!.path).toBe("spec.ports[0].protocol");
    expect(validateResource(w()).spec).toMatchObject({ ports: [{ protocol: "TCP" }] });
    expect(validateResource(w("udp")).spec).toMatchObject({ ports: [{ protocol: "udp" }] });
  });
});

describe("Calico's cross-field rules", () => {
  const gnp = (spec: object) => () =>
    validateResource({
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkPolicy",
      metadata: { name: "g" },
      spec,
    });
  it.each([
    [
      { ingress: [{ action: "Allow", destination: { ports: [80] } }] },
      "spec.ingress[0].destination.ports",
    ],
    [
      { ingress: [{ action: "Allow", protocol: "TCP", icmp: { type: 8 } }] },
      "spec.ingress[0].icmp",
    ],
    [
      { ingress: [{ action: "Allow", protocol: "ICMP", icmp: { code: 0 } }] },
      "spec.ingress[0].icmp.code",
    ],
    [
      { ingress: [{ action: "Allow", ipVersion: 6, source: { nets: ["192.0.2.0/24"] } }] },
      "spec.ingress[0].ipVersion",
    ],
    [{ ingress: [{ action: "Allow", protocol: "bogus" }] }, "spec.ingress[0].protocol"],
    [
      { ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["99999"] } }] },
      "spec.ingress[0].destination.ports[0]",
    ],
    [{ preDNAT: true }, "spec.applyOnForward"],
    [{ preDNAT: true, applyOnForward: true, egress: [{ action: "Allow" }] }, "spec.egress"],
    [{ types: ["Ingress", "Ingress"] }, "spec.types"],
  ])("%j is refused at %s", (spec, path) => {
    expect(issuesOf(gnp(spec)).map((i) => i.path)).toContain(path);
  });
  it("a namespaced NetworkPolicy has no namespaceSelector field", () => {
    expect(
      issuesOf(() =>
        validateResource({
          apiVersion: "projectcalico.org/v3",
          kind: "NetworkPolicy",
          metadata: { name: "n" },
          spec: { namespaceSelector: "all()" },
        }),
      )[0]!.path,
    ).toBe("spec.namespaceSelector");
  });
  it("a cluster-wide resource has no namespace", () => {
    expect(
      issuesOf(() =>
        validateResource({
          apiVersion: "projectcalico.org/v3",
          kind: "Tier",
          metadata: { name: "t", namespace: "x" },
        }),
      )[0]!.path,
    ).toBe("metadata.namespace");
  });
  it("BGPPeer: peerIP with a port, and its rules", () => {
    const peer = (spec: object) => ({
      apiVersion: "projectcalico.org/v3",
      kind: "BGPPeer",
      metadata: { name: "p" },
      spec,
    });
    expect(
      validateResource(peer({ peerIP: "[2001:db8::1]:1790", asNumber: 64512 })).spec,
    ).toMatchObject({ peerIP: "[2001:db8::1]:1790" });
    expect(issuesOf(() => validateResource(peer({ peerIP: "192.0.2.1" })))[0]!.path).toBe(
      "spec.asNumber",
    );
    expect(
      issuesOf(() => validateResource(peer({ peerIP: "192.0.2.1:99999", asNumber: 1 })))[0]!.path,
    ).toBe("spec.peerIP");
    expect(issuesOf(() => validateResource(peer({})))[0]!.path).toBe("spec.peerIP");
  });
  it("IPPool block size must fit the family and the pool", () => {
    const pool = (spec: object) => () =>
      validateResource({
        apiVersion: "projectcalico.org/v3",
        kind: "IPPool",
        metadata: { name: "p" },
        spec,
      });
    expect(issuesOf(pool({ cidr: "192.0.2.0/24", blockSize: 19 }))[0]!.path).toBe("spec.blockSize");
    expect(issuesOf(pool({ cidr: "192.0.2.0/28", blockSize: 26 }))[0]!.path).toBe("spec.blockSize");
  });
});

describe("bad YAML loses nothing", () => {
  it("a YAML syntax error names its document", () => {
    expect(() => loadResources(`${v3}\nkind: Tier\nmetadata: {name: a}\n---\nkind: [\n`)).toThrow(
      /document 2: YAML/,
    );
  });
  it("duplicate keys are an error", () => {
    expect(() => loadResources(`${v3}\nkind: Tier\nkind: Tier\nmetadata: {name: a}\n`)).toThrow(
      ResourceValidationError,
    );
  });
  it("an alias bomb is refused", () => {
    const bomb = [
      "a: &a [x,x,x,x,x,x,x,x,x,x]",
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(",")}]`,
      ),
    ].join("\n");
    expect(() => loadResources(bomb)).toThrow(ResourceValidationError);
  });
  it("a List without items is refused", () => {
    expect(() => loadResources("apiVersion: v1\nkind: List\n")).toThrow(/items/);
  });
});

describe("the table", () => {
  it("calicoKinds and kubernetesKinds give schema, scope and plural", async () => {
    const { calicoKinds, kubernetesKinds } = await import("./registry.js");
    expect(calicoKinds.IPPool).toMatchObject({ namespaced: false, plural: "ippools" });
    expect(calicoKinds.NetworkPolicy).toMatchObject({
      namespaced: true,
      plural: "networkpolicies",
    });
    expect(calicoKinds.BlockAffinity.plural).toBe("blockaffinities");
    expect(kubernetesKinds.NetworkPolicy).toMatchObject({
      namespaced: true,
      plural: "networkpolicies",
    });
    expect(kubernetesKinds.Namespace).toMatchObject({ namespaced: false, plural: "namespaces" });
    expect(Object.keys(calicoKinds)).toHaveLength(22);
  });
});
