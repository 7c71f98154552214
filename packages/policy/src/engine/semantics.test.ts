// The semantic gaps of issue 12, each with its expected verdicts written by
// hand from the Kubernetes NetworkPolicy documentation and Calico's rule
// conversion (libcalico-go `updateprocessors/rules.go`), not from the engine.
import { describe, expect, it } from "vitest";
import { PolicyValidationError } from "../model/errors.js";
import { PolicyEngine } from "./engine.js";
import { FlowError } from "./evaluate.js";
import { cnp, knp, ns, pod } from "./resources.fixture.js";

const calicoNp = (namespace: string, name: string, spec: Record<string, unknown>) =>
  cnp("NetworkPolicy", name, spec, namespace);

// prod: web (http = 8080), client; dev: web2 (http = 9001), client2.
const WEB = "192.0.2.10";
const CLIENT = "192.0.2.12";
const WEB2 = "192.0.2.21";
const CLIENT2 = "192.0.2.20";
const OUTSIDE = "203.0.113.5";
function world(): PolicyEngine {
  const e = new PolicyEngine();
  e.apply([
    ns("prod", { env: "prod" }),
    ns("dev", { env: "dev" }),
    pod(
      "prod",
      "web",
      WEB,
      { app: "web" },
      { ports: [{ name: "http", protocol: "TCP", port: 8080 }] },
    ),
    pod("prod", "client", CLIENT, { app: "client" }),
    pod(
      "dev",
      "web2",
      WEB2,
      { app: "web" },
      { ports: [{ name: "http", protocol: "TCP", port: 9001 }] },
    ),
    pod("dev", "client2", CLIENT2, { app: "client" }),
  ]);
  return e;
}
const v = (e: PolicyEngine, src: string, dst: string, dstPort: number, protocol = "TCP") =>
  e.evaluate({ src, dst, protocol, srcPort: 40000, dstPort }, { trace: false }).verdict;

describe("a named port without a peer selector matches endpoints in every namespace", () => {
  // Kubernetes: an egress rule with only `ports: [{port: http}]` allows traffic
  // to any destination whose container port named "http" is the destination port.
  const policy = knp("dev", "egress-http", {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [{ ports: [{ port: "http" }] }],
  });
  it.each([
    [CLIENT2, WEB, 8080, "allow"], // prod's web: its http port, another namespace
    [CLIENT2, WEB2, 9001, "allow"], // dev's web2: its http port
    [CLIENT2, WEB, 9001, "deny"], // 9001 is not web's http port
    [CLIENT2, WEB2, 8080, "deny"], // 8080 is not web2's http port
    [CLIENT2, CLIENT, 8080, "deny"], // client has no named ports
    [WEB2, WEB, 8080, "allow"],
    [CLIENT, WEB2, 1234, "allow"], // prod is not selected by the policy
  ])("%s → %s:%i is %s", (src, dst, port, want) => {
    const e = world();
    e.apply([policy]);
    expect(v(e, src, dst, port)).toBe(want);
  });
  it("the same for a Calico rule with a named port and no selector", () => {
    const e = world();
    e.apply([
      calicoNp("dev", "egress-http", {
        types: ["Egress"],
        egress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["http"] } }],
      }),
    ]);
    expect(v(e, CLIENT2, WEB, 8080)).toBe("allow");
    expect(v(e, CLIENT2, WEB, 9001)).toBe("deny");
  });
});

describe("a rule side with only notSelector, in a namespaced Calico policy", () => {
  // Calico limits every selector-using side of a namespaced policy to the
  // policy's namespace, notSelector alone included.
  it.each([
    [CLIENT, "allow"], // prod, not web
    [CLIENT2, "deny"], // dev: outside the namespace
    [WEB2, "deny"], // dev
    [OUTSIDE, "deny"], // no endpoint: not in the namespace
  ])("%s → web is %s", (src, want) => {
    const e = world();
    e.apply([
      calicoNp("prod", "not-web", {
        selector: "app == 'web'",
        ingress: [{ action: "Allow", source: { notSelector: "app == 'web'" } }],
      }),
    ]);
    expect(v(e, src, WEB, 80)).toBe(want);
  });
});

describe("policyTypes: [] defaults as Kubernetes defaults it", () => {
  // Absent or empty policyTypes: Ingress, plus Egress because there are egress rules.
  it("Ingress and Egress both apply", () => {
    const e = world();
    e.apply([
      knp("prod", "web", {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: [],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { env: "dev" } } }] }],
      }),
    ]);
    expect(v(e, CLIENT, WEB, 80)).toBe("allow"); // ingress from a prod client
    expect(v(e, CLIENT2, WEB, 80)).toBe("deny"); // dev client: not in the policy's namespace
    expect(v(e, WEB, WEB2, 80)).toBe("allow"); // egress into dev
    expect(v(e, WEB, CLIENT, 80)).toBe("deny"); // egress inside prod: not allowed
  });
  it("a Calico policy with types: [] and only egress rules is Egress only", () => {
    const e = world();
    e.apply([
      calicoNp("prod", "web", {
        selector: "app == 'web'",
        types: [],
        egress: [{ action: "Deny" }],
      }),
    ]);
    expect(v(e, WEB, CLIENT, 80)).toBe("deny");
    expect(v(e, CLIENT2, WEB, 80)).toBe("allow"); // ingress untouched
  });
});

describe("Kubernetes and Calico policies of the same name", () => {
  const k8s = knp("prod", "web", {
    podSelector: { matchLabels: { app: "web" } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
  });
  const calico = calicoNp("prod", "web", {
    selector: "app == 'client'",
    ingress: [{ action: "Allow", source: { selector: "app == 'web'" } }],
  });
  it("do not overwrite each other", () => {
    const e = world();
    e.apply([k8s, calico]);
    expect(v(e, CLIENT2, WEB, 80)).toBe("deny"); // the Kubernetes policy still isolates web
    expect(v(e, WEB, CLIENT, 80)).toBe("allow"); // the Calico policy admits web into client
    expect(v(e, CLIENT2, CLIENT, 80)).toBe("deny"); // …and only web
    expect([...e.allPolicies()].map((p) => p.key).sort()).toEqual(["knp:prod/web", "np:prod/web"]);
  });
  it("a Kubernetes policy is deleted by its Kubernetes name, leaving the Calico one", () => {
    const e = world();
    e.apply([k8s, calico]);
    expect(e.delete("NetworkPolicy", "web", "prod", "networking.k8s.io/v1")).toBe(true);
    expect(v(e, CLIENT2, WEB, 80)).toBe("allow");
    expect(v(e, CLIENT2, CLIENT, 80)).toBe("deny");
    expect(e.delete("NetworkPolicy", "web", "prod")).toBe(true);
    expect(v(e, CLIENT2, CLIENT, 80)).toBe("allow");
    expect(e.delete("NetworkPolicy", "web", "prod")).toBe(false);
  });
  it("a Calico policy literally named knp.default.<name> stays apart too", () => {
    const e = world();
    e.apply([k8s, { ...calico, metadata: { name: "knp.default.web", namespace: "prod" } }]);
    expect([...e.allPolicies()].map((p) => p.key).sort()).toEqual([
      "knp:prod/web",
      "np:prod/knp.default.web",
    ]);
  });
});

describe("flows", () => {
  it("can name endpoints instead of addresses", () => {
    const e = world();
    e.apply([knp("prod", "deny", { podSelector: { matchLabels: { app: "web" } } })]);
    const r = e.evaluate({
      srcEndpoint: "dev/client2",
      dstEndpoint: "wep:prod/web",
      protocol: "TCP",
      dstPort: 80,
    });
    expect(r.verdict).toBe("deny");
    expect(r.source).toEqual({ address: CLIENT2, endpoint: "wep:dev/client2" });
    expect(r.destination).toEqual({ address: WEB, endpoint: "wep:prod/web" });
    expect(
      e.evaluate({ src: CLIENT2, dstEndpoint: "prod/client", protocol: "TCP", dstPort: 80 })
        .destination.address,
    ).toBe(CLIENT);
  });
  it("refuses an endpoint that does not exist, or an address that is not the endpoint's", () => {
    const e = world();
    expect(() =>
      e.evaluate({ srcEndpoint: "prod/nope", dst: WEB, protocol: "TCP", dstPort: 80 }),
    ).toThrow(FlowError);
    expect(() =>
      e.evaluate({
        src: CLIENT2,
        srcEndpoint: "prod/client",
        dst: WEB,
        protocol: "TCP",
        dstPort: 80,
      }),
    ).toThrow(/not an address of endpoint/);
    expect(() => e.evaluate({ dst: WEB, protocol: "TCP", dstPort: 80 })).toThrow(FlowError);
  });
  it("a flow from an address with no endpoint says so", () => {
    const e = world();
    const r = e.evaluate({ src: OUTSIDE, dst: WEB, protocol: "TCP", dstPort: 80 });
    expect(r.verdict).toBe("allow"); // web's namespace profile admits it
    expect(r.noEndpoint).toEqual(["source"]);
    expect(e.explain(r)).toMatch(/source 203\.0\.113\.5: belongs to no endpoint/);
  });
  it("a flow between addresses that belong to no endpoint is not 'allow'", () => {
    const e = world();
    const r = e.evaluate({ src: OUTSIDE, dst: "198.51.100.7", protocol: "TCP", dstPort: 80 });
    expect(r.verdict).toBe("no-endpoint");
    expect(r.noEndpoint).toEqual(["source", "destination"]);
  });
});

describe("endpoint ports", () => {
  it("an unknown protocol is refused when the endpoint is applied", () => {
    const e = world();
    expect(() =>
      e.apply([
        pod(
          "prod",
          "x",
          "192.0.2.40",
          {},
          { ports: [{ name: "http", protocol: "HTTP", port: 80 }] },
        ),
      ]),
    ).toThrow(PolicyValidationError);
    expect(e.endpoint("wep:prod/x")).toBeUndefined();
  });
  it("a rule matching Kubernetes Services is refused rather than widened", () => {
    const e = world();
    expect(() =>
      e.apply([
        calicoNp("prod", "svc", {
          ingress: [{ action: "Allow", source: { services: { name: "api", namespace: "prod" } } }],
        }),
      ]),
    ).toThrow(/services/);
  });
});

describe("namespaceSelector all() means every namespace, not everything", () => {
  it("a host endpoint is not selected by namespaceSelector: all()", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "node1-eth0", labels: { app: "client" } },
        spec: { node: "node1", interfaceName: "eth0", expectedIPs: ["198.51.100.1"] },
      },
      knp("prod", "from-any-ns", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [
          { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "client" } } }] },
        ],
      }),
    ]);
    expect(v(e, CLIENT2, WEB, 80)).toBe("allow"); // a pod in another namespace
    expect(v(e, "198.51.100.1", WEB, 80)).toBe("deny"); // a host endpoint is no pod
  });
});
