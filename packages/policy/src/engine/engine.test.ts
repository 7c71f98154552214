import { describe, expect, it } from "vitest";
import { PolicyValidationError } from "../model/errors.js";
import { PolicyEngine } from "./engine.js";
import { cnp, knp, ns, pod } from "./resources.fixture.js";

const WEB = "192.0.2.10";
const DB = "192.0.2.11";
const CLIENT_PROD = "192.0.2.12";
const CLIENT_DEV = "192.0.2.20";
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
    pod("prod", "db", DB, { app: "db" }),
    pod("prod", "client", CLIENT_PROD, { app: "client" }),
    pod("dev", "client", CLIENT_DEV, { app: "client" }),
  ]);
  return e;
}
const tcp = (src: string, dst: string, dstPort: number) => ({
  src,
  dst,
  protocol: "TCP",
  srcPort: 40000,
  dstPort,
});

describe("Kubernetes NetworkPolicy semantics", () => {
  it("without policies the namespace profile allows everything", () => {
    const e = world();
    const r = e.evaluate(tcp(CLIENT_DEV, WEB, 80));
    expect(r.verdict).toBe("allow");
    expect(r.ingress?.decidedBy).toEqual({
      by: "profile",
      profile: "kns.prod",
      rule: 0,
      action: "Allow",
    });
  });

  it("deny-all ingress: the end of the default tier denies, and the trace says so", () => {
    const e = world();
    e.apply([knp("prod", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] })]);
    const r = e.evaluate(tcp(CLIENT_PROD, WEB, 80));
    expect(r.verdict).toBe("deny");
    expect(r.ingress?.decidedBy).toEqual({ by: "tier-default", tier: "default" });
    expect(r.ingress?.tiers[0]?.policies[0]?.policy).toBe("prod/knp.default.deny-all");
    expect(e.explain(r)).toContain("end of tier default");
    // egress is not restricted by an Ingress-only policy
    expect(e.evaluate(tcp(WEB, CLIENT_DEV, 80)).verdict).toBe("allow");
  });

  it("allow from pods: same namespace only", () => {
    const e = world();
    e.apply([
      knp("prod", "web-from-client", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).verdict).toBe("allow");
    const r = e.evaluate(tcp(CLIENT_DEV, WEB, 80));
    expect(r.verdict).toBe("deny");
    expect(r.ingress?.tiers[0]?.policies[0]?.rules[0]?.mismatch).toBe(
      `source ${CLIENT_DEV} not selected by app == "client" && projectcalico.org/namespace == "prod"`,
    );
    // db is not selected by the policy: still open
    expect(e.evaluate(tcp(CLIENT_DEV, DB, 80)).verdict).toBe("allow");
  });

  it("allow from namespace, and from pods in a namespace", () => {
    const e = world();
    e.apply([
      knp("prod", "from-dev", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: "dev" } } }] }],
      }),
      knp("prod", "db-from-dev-clients", {
        podSelector: { matchLabels: { app: "db" } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { env: "dev" } },
                podSelector: { matchLabels: { app: "web" } },
              },
            ],
          },
        ],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("allow");
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).verdict).toBe("deny");
    expect(e.evaluate(tcp(CLIENT_DEV, DB, 80)).verdict).toBe("deny"); // dev client is not app=web
  });

  it("ipBlock with except", () => {
    const e = world();
    e.apply([
      knp("prod", "ipblock", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ ipBlock: { cidr: "192.0.2.0/24", except: ["192.0.2.16/28"] } }] }],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).verdict).toBe("allow");
    const r = e.evaluate(tcp(CLIENT_DEV, WEB, 80));
    expect(r.verdict).toBe("deny");
    expect(r.ingress?.tiers[0]?.policies[0]?.rules[0]?.mismatch).toBe(
      `source ${CLIENT_DEV} in notNets`,
    );
    expect(e.evaluate(tcp(OUTSIDE, WEB, 80)).verdict).toBe("deny");
  });

  it("named ports, numeric ports, endPort ranges and protocols", () => {
    const e = world();
    e.apply([
      knp("prod", "ports", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [
          {
            ports: [{ port: "http" }, { port: 9000, endPort: 9010 }, { protocol: "UDP", port: 53 }],
          },
        ],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 8080)).verdict).toBe("allow");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("deny");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 9005)).verdict).toBe("allow");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 9011)).verdict).toBe("deny");
    expect(e.evaluate({ ...tcp(CLIENT_DEV, WEB, 53), protocol: "UDP" }).verdict).toBe("allow");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 53)).verdict).toBe("deny");
    expect(e.evaluate({ ...tcp(CLIENT_DEV, WEB, 8080), protocol: "UDP" }).verdict).toBe("deny");
  });

  it("egress: default deny with an allowed destination", () => {
    const e = world();
    e.apply([
      knp("dev", "egress", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { env: "prod" } },
                podSelector: { matchLabels: { app: "db" } },
              },
            ],
            ports: [{ port: 5432 }],
          },
        ],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_DEV, DB, 5432)).verdict).toBe("allow");
    const r = e.evaluate(tcp(CLIENT_DEV, WEB, 5432));
    expect(r.verdict).toBe("deny");
    expect(r.egress?.verdict).toBe("deny");
    expect(r.ingress).toBeUndefined();
    expect(
      e.evaluate({ src: CLIENT_DEV, dst: DB, protocol: "ICMP", icmpType: 8, icmpCode: 0 }).verdict,
    ).toBe("deny");
  });
});

describe("Calico semantics", () => {
  it("tiers: Pass skips to the next tier; a tier's deny wins over a later allow", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "Tier",
        metadata: { name: "security" },
        spec: { order: 100 },
      },
      cnp("GlobalNetworkPolicy", "security.pass-prod", {
        tier: "security",
        order: 10,
        selector: "all()",
        ingress: [
          {
            action: "Deny",
            source: { selector: 'app == "client"', namespaceSelector: 'env == "dev"' },
          },
          { action: "Pass" },
        ],
      }),
      knp("prod", "allow-all", { podSelector: {}, ingress: [{}] }),
    ]);
    const denied = e.evaluate(tcp(CLIENT_DEV, WEB, 80));
    expect(denied.verdict).toBe("deny");
    expect(denied.ingress?.decidedBy).toMatchObject({
      by: "rule",
      tier: "security",
      rule: 0,
      action: "Deny",
    });
    const passed = e.evaluate(tcp(CLIENT_PROD, WEB, 80));
    expect(passed.verdict).toBe("allow");
    expect(passed.ingress?.tiers.map((t) => `${t.tier}:${t.outcome}`)).toEqual([
      "security:Pass",
      "default:Allow",
    ]);
  });

  it("Deny before Allow by order, and ties broken by name", () => {
    const e = world();
    e.apply([
      cnp(
        "NetworkPolicy",
        "b-allow",
        { order: 10, selector: 'app == "web"', ingress: [{ action: "Allow" }] },
        "prod",
      ),
      cnp(
        "NetworkPolicy",
        "a-deny",
        {
          order: 10,
          selector: 'app == "web"',
          ingress: [{ action: "Deny", protocol: "TCP", destination: { ports: [80] } }],
        },
        "prod",
      ),
      cnp(
        "NetworkPolicy",
        "z-first",
        {
          order: 5,
          selector: 'app == "web"',
          ingress: [
            {
              action: "Allow",
              protocol: "TCP",
              destination: { ports: [80] },
              source: { nets: [CLIENT_PROD + "/32"] },
            },
          ],
        },
        "prod",
      ),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).ingress?.decidedBy).toMatchObject({
      policy: "prod/z-first",
    });
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).ingress?.decidedBy).toMatchObject({
      policy: "prod/a-deny",
      action: "Deny",
    });
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 81)).ingress?.decidedBy).toMatchObject({
      policy: "prod/b-allow",
      action: "Allow",
    });
  });

  it("GlobalNetworkPolicy with namespaceSelector applies only in matching namespaces", () => {
    const e = world();
    e.apply([
      cnp("GlobalNetworkPolicy", "dev-isolation", {
        namespaceSelector: 'env == "dev"',
        selector: "all()",
        types: ["Ingress"],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, CLIENT_DEV, 80)).verdict).toBe("deny");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("allow");
  });

  it("NetworkSets and GlobalNetworkSets are matched by rule selectors", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkSet",
        metadata: { name: "partners", labels: { role: "partner" } },
        spec: { nets: ["203.0.113.0/25"] },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "NetworkSet",
        metadata: { name: "office", namespace: "prod", labels: { role: "office" } },
        spec: { nets: ["198.51.100.0/24"] },
      },
      cnp("GlobalNetworkPolicy", "partners", {
        selector: 'app == "web"',
        ingress: [{ action: "Allow", source: { selector: 'role == "partner"' } }],
      }),
      cnp(
        "NetworkPolicy",
        "office",
        {
          selector: 'app == "db"',
          ingress: [{ action: "Allow", source: { selector: 'role == "office"' } }],
        },
        "prod",
      ),
    ]);
    expect(e.evaluate(tcp(OUTSIDE, WEB, 443)).verdict).toBe("allow");
    expect(e.evaluate(tcp("203.0.113.200", WEB, 443)).verdict).toBe("deny");
    expect(e.evaluate(tcp("198.51.100.7", DB, 5432)).verdict).toBe("allow");
    expect(e.evaluate(tcp(OUTSIDE, DB, 5432)).verdict).toBe("deny");
  });

  it("notNets, notPorts, notProtocol, notSelector, ICMP type", () => {
    const e = world();
    e.apply([
      cnp("GlobalNetworkPolicy", "nots", {
        selector: 'app == "web"',
        ingress: [
          {
            action: "Allow",
            protocol: "TCP",
            source: { notNets: ["192.0.2.16/28"] },
            destination: { notPorts: ["8000:8999"] },
          },
          { action: "Allow", protocol: "ICMP", icmp: { type: 8 } },
          { action: "Allow", notProtocol: "TCP", source: { notSelector: 'app == "client"' } },
        ],
      }),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).verdict).toBe("allow");
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("deny");
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 8080)).verdict).toBe("deny");
    expect(
      e.evaluate({ src: CLIENT_DEV, dst: WEB, protocol: "ICMP", icmpType: 8, icmpCode: 0 }).verdict,
    ).toBe("allow");
    expect(e.evaluate({ src: DB, dst: WEB, protocol: "UDP", dstPort: 53 }).verdict).toBe("allow");
    expect(e.evaluate({ src: CLIENT_PROD, dst: WEB, protocol: "UDP", dstPort: 53 }).verdict).toBe(
      "deny",
    );
  });

  it("Log continues to the next rule; tier defaultAction Pass falls through to profiles", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "Tier",
        metadata: { name: "audit" },
        spec: { order: 1, defaultAction: "Pass" },
      },
      cnp("GlobalNetworkPolicy", "audit.log", {
        tier: "audit",
        selector: "all()",
        ingress: [{ action: "Log" }],
      }),
    ]);
    const r = e.evaluate(tcp(CLIENT_DEV, WEB, 80));
    expect(r.verdict).toBe("allow");
    expect(r.ingress?.tiers[0]).toMatchObject({ tier: "audit", outcome: "default Pass" });
    expect(r.ingress?.tiers[0]?.policies[0]?.rules[0]).toEqual({ index: 0, action: "Log" });
  });

  it("service accounts in rules", () => {
    const e = new PolicyEngine();
    e.apply([
      ns("prod"),
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "api", namespace: "prod", labels: { team: "blue" } },
      },
      pod("prod", "web", WEB, { app: "web" }),
      pod("prod", "a", CLIENT_PROD, {}, { serviceAccountName: "api" }),
      pod("prod", "b", DB, {}, { serviceAccountName: "other" }),
      cnp(
        "NetworkPolicy",
        "sa",
        {
          selector: 'app == "web"',
          ingress: [
            { action: "Allow", source: { serviceAccounts: { selector: 'team == "blue"' } } },
          ],
        },
        "prod",
      ),
    ]);
    expect(e.evaluate(tcp(CLIENT_PROD, WEB, 80)).verdict).toBe("allow");
    expect(e.evaluate(tcp(DB, WEB, 80)).verdict).toBe("deny");
  });

  it("label changes move endpoints in and out of policies", () => {
    const e = world();
    e.apply([
      knp("prod", "web-only-client", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
      }),
    ]);
    expect(e.evaluate(tcp(DB, WEB, 80)).verdict).toBe("deny");
    e.apply([pod("prod", "db", DB, { app: "client" })]);
    expect(e.evaluate(tcp(DB, WEB, 80)).verdict).toBe("allow");
    e.apply([pod("prod", "web", WEB, { app: "web2" })]);
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("allow");
    expect(e.delete("NetworkPolicy", "web-only-client", "prod", "networking.k8s.io/v1")).toBe(true);
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("allow");
  });

  it("host endpoints: untracked Deny decides before normal policy; no policy and no profile denies", () => {
    const e = new PolicyEngine();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "eth0", labels: { host: "h1" } },
        spec: { interfaceName: "eth0", expectedIPs: ["198.51.100.1"] },
      },
      cnp("GlobalNetworkPolicy", "untracked", {
        selector: "has(host)",
        doNotTrack: true,
        applyOnForward: true,
        ingress: [{ action: "Deny", protocol: "UDP" }],
      }),
      cnp("GlobalNetworkPolicy", "ssh", {
        selector: "has(host)",
        ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [22] } }],
      }),
    ]);
    expect(e.evaluate(tcp(OUTSIDE, "198.51.100.1", 22)).verdict).toBe("allow");
    expect(e.evaluate(tcp(OUTSIDE, "198.51.100.1", 80)).verdict).toBe("deny");
    const u = e.evaluate({ src: OUTSIDE, dst: "198.51.100.1", protocol: "UDP", dstPort: 22 });
    expect(u.ingress?.decidedBy).toMatchObject({ policy: "untracked", action: "Deny" });
    e.delete("GlobalNetworkPolicy", "ssh");
    e.delete("GlobalNetworkPolicy", "untracked");
    expect(e.evaluate(tcp(OUTSIDE, "198.51.100.1", 22)).ingress?.decidedBy).toEqual({
      by: "no-profile-match",
    });
  });
});

describe("forwarded traffic through host endpoints (applyOnForward)", () => {
  it("only applyOnForward policies apply, and with none traffic passes", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "uplink", labels: { role: "node" } },
        spec: { interfaceName: "eth0", expectedIPs: ["198.51.100.1"] },
      },
      cnp("GlobalNetworkPolicy", "host-ssh", {
        selector: "has(role)",
        ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [22] } }],
      }),
    ]);
    const fwd = { ...tcp(OUTSIDE, WEB, 80), inInterface: "eth0" };
    const open = e.evaluate(fwd);
    expect(open.verdict).toBe("allow");
    expect(open.forwardIngress?.decidedBy).toEqual({ by: "forwarded" });
    expect(e.evaluate(tcp(OUTSIDE, "198.51.100.1", 80)).verdict).toBe("deny"); // to the host itself
    e.apply([
      cnp("GlobalNetworkPolicy", "fwd", {
        selector: "has(role)",
        applyOnForward: true,
        ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [443] } }],
      }),
    ]);
    const closed = e.evaluate(fwd);
    expect(closed.verdict).toBe("deny");
    expect(closed.forwardIngress?.decidedBy).toEqual({ by: "tier-default", tier: "default" });
    expect(closed.ingress).toBeUndefined(); // the first deny decides
    expect(e.explain(closed)).toContain("forwarded in via ingress hep:uplink: deny");
    expect(e.evaluate({ ...fwd, dstPort: 443 }).verdict).toBe("allow");
  });

  it("traffic between a local workload and the host is not the host endpoint's", () => {
    const e = world();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "uplink", labels: { role: "node" } },
        spec: { interfaceName: "eth0", expectedIPs: ["198.51.100.1"] },
      },
    ]);
    expect(e.evaluate(tcp(OUTSIDE, "198.51.100.1", 22)).verdict).toBe("deny"); // via eth0
    const local = e.evaluate(tcp(WEB, "198.51.100.1", 22));
    expect(local.verdict).toBe("allow"); // web's egress (profile) only
    expect(local.ingress).toBeUndefined();
    expect(
      e.evaluate({ ...tcp(OUTSIDE, "198.51.100.1", 22), inInterface: "eth1" }).ingress,
    ).toBeUndefined();
  });
});

describe("bad input", () => {
  it("a selector error names the field path and the position; nothing is applied", () => {
    const e = world();
    const before = e.version;
    let err: PolicyValidationError | undefined;
    try {
      e.apply([
        knp("prod", "fine", { podSelector: {} }),
        cnp(
          "NetworkPolicy",
          "bad",
          { selector: "all()", ingress: [{ action: "Allow", source: { selector: "app == web" } }] },
          "prod",
        ),
      ]);
    } catch (x) {
      err = x as PolicyValidationError;
    }
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err!.issues[0]).toMatchObject({ path: "spec.ingress[0].source.selector", position: 7 });
    expect(err!.message).toContain("[1] NetworkPolicy prod/bad");
    expect(e.version).toBe(before);
    expect(e.evaluate(tcp(CLIENT_DEV, WEB, 80)).verdict).toBe("allow");
  });

  const bad: [string, unknown, string][] = [
    ["unknown field", cnp("GlobalNetworkPolicy", "x", { selectr: "all()" }), "spec.selectr"],
    [
      "bad action",
      cnp("GlobalNetworkPolicy", "x", { ingress: [{ action: "Permit" }] }),
      "spec.ingress[0].action",
    ],
    [
      "ports without protocol",
      cnp("GlobalNetworkPolicy", "x", {
        ingress: [{ action: "Allow", destination: { ports: [80] } }],
      }),
      "spec.ingress[0].destination.ports",
    ],
    [
      "bad port",
      cnp("GlobalNetworkPolicy", "x", {
        ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: ["90:80"] } }],
      }),
      "spec.ingress[0].destination.ports[0]",
    ],
    [
      "bad net",
      cnp("GlobalNetworkPolicy", "x", {
        egress: [{ action: "Allow", destination: { nets: ["192.0.2.0/33"] } }],
      }),
      "spec.egress[0].destination.nets[0]",
    ],
    [
      "icmp without protocol",
      cnp("GlobalNetworkPolicy", "x", { ingress: [{ action: "Allow", icmp: { type: 8 } }] }),
      "spec.ingress[0].icmp",
    ],
    [
      "ipVersion vs nets",
      cnp("GlobalNetworkPolicy", "x", {
        ingress: [{ action: "Allow", ipVersion: 6, source: { nets: ["192.0.2.0/24"] } }],
      }),
      "spec.ingress[0].ipVersion",
    ],
    [
      "preDNAT in NetworkPolicy",
      cnp("NetworkPolicy", "x", { preDNAT: true }, "prod"),
      "spec.preDNAT",
    ],
    [
      "preDNAT with egress",
      cnp("GlobalNetworkPolicy", "x", {
        preDNAT: true,
        applyOnForward: true,
        egress: [{ action: "Allow" }],
      }),
      "spec.egress",
    ],
    [
      "k8s In without values",
      knp("prod", "x", {
        podSelector: { matchExpressions: [{ key: "a", operator: "In", values: [] }] },
      }),
      "spec.podSelector.matchExpressions[0].values",
    ],
    ["unknown kind", { apiVersion: "v1", kind: "Pod", metadata: { name: "x" } }, "kind"],
  ];
  for (const [what, res, path] of bad) {
    it(`${what} → ${path}`, () => {
      const e = new PolicyEngine();
      try {
        e.apply([res]);
        expect.unreachable();
      } catch (x) {
        expect(x).toBeInstanceOf(PolicyValidationError);
        expect((x as PolicyValidationError).issues.map((i) => i.path)).toContain(path);
      }
    });
  }
});
