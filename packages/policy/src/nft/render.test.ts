import { describe, expect, it } from "vitest";
import { compileRule } from "../engine/compiled.js";
import { PolicyEngine } from "../engine/engine.js";
import type { Rule } from "../model/resources.js";
import { renderRule, renderRuleset } from "./render.js";
import { diffScript, fullScript } from "./ruleset.js";

const A = "accept";
const c = (label: string) => `comment "${label}"`;

function world(): PolicyEngine {
  const e = new PolicyEngine();
  e.apply([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod", labels: { env: "prod" } } },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "WorkloadEndpoint",
      metadata: { name: "web", namespace: "prod", labels: { app: "web" } },
      spec: {
        ipNetworks: ["192.0.2.10/32", "2001:db8::10/128"],
        interfaceName: "cali-web",
        ports: [{ name: "http", port: 8080 }],
      },
    },
    {
      apiVersion: "projectcalico.org/v3",
      kind: "WorkloadEndpoint",
      metadata: { name: "cli", namespace: "prod", labels: { app: "client" } },
      spec: { ipNetworks: ["192.0.2.12/32"], interfaceName: "cali-cli" },
    },
  ]);
  return e;
}

describe("rule → nft text (table)", () => {
  // [rule, families, expected rule lines, expected sets "name: elements"]
  const cases: [string, Rule, (4 | 6)[], string[], string[]][] = [
    ["allow all", { action: "Allow" }, [4, 6], [`counter ${A} ${c("r")}`], []],
    [
      "family-neutral rules stay neutral when only IPv4 is rendered",
      { action: "Allow" },
      [4],
      [`counter ${A} ${c("r")}`],
      [],
    ],
    [
      "deny TCP",
      { action: "Deny", protocol: "TCP" },
      [4, 6],
      [`meta l4proto tcp counter drop ${c("r")}`],
      [],
    ],
    [
      "not UDP",
      { action: "Deny", notProtocol: "UDP" },
      [4, 6],
      [`meta l4proto != udp counter drop ${c("r")}`],
      [],
    ],
    [
      "protocol by number",
      { action: "Deny", protocol: 47 },
      [4, 6],
      [`meta l4proto 47 counter drop ${c("r")}`],
      [],
    ],
    [
      "single port and range inline",
      { action: "Allow", protocol: "UDP", destination: { ports: ["5000:5010"] } },
      [4, 6],
      [`meta l4proto udp th dport 5000-5010 counter ${A} ${c("r")}`],
      [],
    ],
    [
      "several ports share a named interval set; adjacent ranges merge",
      { action: "Allow", protocol: "TCP", destination: { ports: [80, 81, "82:90", 443] } },
      [4, 6],
      [`meta l4proto tcp th dport @o-PORTS counter ${A} ${c("r")}`],
      ["o-PORTS: 80-90,443"],
    ],
    [
      "notPorts",
      { action: "Allow", protocol: "TCP", destination: { notPorts: [22] } },
      [4, 6],
      [`meta l4proto tcp th dport != 22 counter ${A} ${c("r")}`],
      [],
    ],
    [
      "one net inline, per family",
      { action: "Allow", source: { nets: ["198.51.100.0/24"] } },
      [4, 6],
      [`meta nfproto ipv4 ip saddr 198.51.100.0/24 counter ${A} ${c("r")}`],
      [],
    ],
    [
      "nets of both families and notNets",
      {
        action: "Deny",
        destination: { nets: ["198.51.100.0/24", "2001:db8:1::/48"], notNets: ["198.51.100.7/32"] },
      },
      [4, 6],
      [
        `meta nfproto ipv4 ip daddr 198.51.100.0/24 ip daddr != 198.51.100.7 counter drop ${c("r")}`,
        `meta nfproto ipv6 ip6 daddr 2001:db8:1::/48 counter drop ${c("r")}`,
      ],
      [],
    ],
    [
      "ICMP type and code",
      { action: "Allow", protocol: "ICMP", icmp: { type: 8, code: 0 } },
      [4, 6],
      [`meta nfproto ipv4 meta l4proto icmp icmp type 8 icmp code 0 counter ${A} ${c("r")}`],
      [],
    ],
    [
      "notICMP type+code expands to two alternatives",
      { action: "Deny", protocol: "ICMPv6", notICMP: { type: 128, code: 0 } },
      [4, 6],
      [
        `meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type != 128 counter drop ${c("r")}`,
        `meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128 icmpv6 code != 0 counter drop ${c("r")}`,
      ],
      [],
    ],
    [
      "selector becomes a shared address set of its members (namespace-scoped)",
      { action: "Allow", source: { selector: "app == 'client'" } },
      [4],
      [`meta nfproto ipv4 ip saddr @s-SEL-4 counter ${A} ${c("r")}`],
      ["s-SEL-4: 192.0.2.12"],
    ],
    [
      "notSelector alone: limited to the policy's namespace, as Calico does",
      { action: "Deny", source: { notSelector: "app == 'client'" } },
      [4],
      [`meta nfproto ipv4 ip saddr @s-SEL-4 ip saddr != @s-SEL-4 counter drop ${c("r")}`],
      ["s-SEL-4: 192.0.2.10,192.0.2.12", "s-SEL-4: 192.0.2.12"],
    ],
    [
      "named and numeric ports: two alternatives, the named one over address . port",
      { action: "Allow", protocol: "TCP", destination: { ports: [80, "http"] } },
      [4],
      [
        `meta nfproto ipv4 meta l4proto tcp th dport 80 counter ${A} ${c("r")}`,
        `meta nfproto ipv4 meta l4proto tcp ip daddr . th dport @q-NP-4 counter ${A} ${c("r")}`,
      ],
      ["q-NP-4: 192.0.2.10 . 8080"],
    ],
    [
      "Log continues",
      { action: "Log", protocol: "TCP" },
      [4, 6],
      [`meta l4proto tcp counter log prefix "tortie r: " ${c("r")}`],
      [],
    ],
    ["Pass marks and returns", { action: "Pass" }, [4, 6], [`counter return ${c("r")}`], []],
  ];
  for (const [what, rule, families, lines, sets] of cases) {
    it(what, () => {
      const e = world();
      const compiled = compileRule(rule, 0, "prod");
      // register the rule's selectors, as a policy would
      e.apply([
        {
          apiVersion: "projectcalico.org/v3",
          kind: "NetworkPolicy",
          metadata: { name: "t", namespace: "prod" },
          spec: { selector: "all()", ingress: [rule] },
        },
      ]);
      const out = renderRule(e, compiled, "r", { families });
      const generic = (s: string) =>
        s
          .replace(/@o-[0-9a-f]{12}/g, "@o-PORTS")
          .replace(/@s-[0-9a-f]{16}/g, "@s-SEL")
          .replace(/@q-[0-9a-f]{12}/g, "@q-NP");
      expect(out.rules.map(generic)).toEqual(lines);
      const setText = [...out.sets]
        .filter(([, s]) => s.elements.length)
        .map(([n, s]) => `${generic(`@${n}`).slice(1)}: ${s.elements.join(",")}`);
      expect(setText).toEqual(sets);
    });
  }
});

describe("ruleset and diff", () => {
  const policy = {
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name: "web", namespace: "prod" },
    spec: {
      selector: "app == 'web'",
      ingress: [{ action: "Allow", source: { selector: "app == 'client'" } }],
    },
  };

  it("the host hooks accept IPv6 neighbour discovery and MLD before any workload chain (as Felix)", () => {
    const e = world();
    e.apply([policy]);
    const rs = renderRuleset(e);
    const nd =
      "meta l4proto ipv6-icmp icmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept";
    for (const [chain, dispatch] of [
      ["in-egress", "iifname vmap @from-ep"],
      ["out-ingress", "oifname vmap @to-ep"],
    ] as const) {
      const rules = rs.chains.get(chain)!.rules;
      expect(rules.indexOf(nd), chain).toBeGreaterThanOrEqual(0);
      expect(rules.indexOf(nd), chain).toBeLessThan(rules.indexOf(dispatch));
    }
    // Forwarded traffic between workloads has no such exception.
    for (const chain of ["fw-egress", "fw-ingress"])
      expect(
        rs.chains.get(chain)!.rules.some((r) => r.includes("icmpv6")),
        chain,
      ).toBe(false);
    expect(renderRuleset(e, { hostHooks: false }).chains.has("in-egress")).toBe(false);
  });

  it("rendering is deterministic", () => {
    const a = world();
    a.apply([policy]);
    const b = world();
    b.apply([policy]);
    expect(fullScript(renderRuleset(a)).text).toBe(fullScript(renderRuleset(b)).text);
  });

  it("the full script replaces the table atomically, declaring chains before use", () => {
    const e = world();
    e.apply([policy]);
    const lines = fullScript(renderRuleset(e)).text.split("\n");
    expect(lines.slice(0, 4)).toEqual([
      "add table inet tortie",
      "delete table inet tortie",
      "add table inet tortie",
      "add chain inet tortie fw-egress { type filter hook forward priority filter; policy accept; }",
    ]);
    const firstRule = lines.findIndex((l) => l.startsWith("add rule"));
    expect(lines.slice(firstRule).every((l) => l === "" || l.startsWith("add rule"))).toBe(true);
  });

  it("a label change touches only set elements (and nothing else)", () => {
    const e = world();
    e.apply([policy]);
    const before = renderRuleset(e);
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "WorkloadEndpoint",
        metadata: { name: "db", namespace: "prod", labels: { app: "client" } },
        spec: { ipNetworks: ["192.0.2.11/32"] },
      },
    ]);
    const d = diffScript(before, renderRuleset(e));
    expect(d.text).toMatch(
      /^delete element inet tortie s-[0-9a-f]{16}-4 \{ 192\.0\.2\.12 \}\nadd element inet tortie s-[0-9a-f]{16}-4 \{ 192\.0\.2\.11-192\.0\.2\.12 \}\n$/,
    );
    expect(d.commands).toBe(2);
  });

  it("a policy change flushes and refills only its tier chain", () => {
    const e = world();
    e.apply([policy]);
    const before = renderRuleset(e);
    e.apply([
      {
        ...policy,
        spec: {
          ...policy.spec,
          ingress: [{ action: "Deny", protocol: "UDP" }, ...policy.spec.ingress],
        },
      },
    ]);
    const d = diffScript(before, renderRuleset(e));
    const cmds = d.text.trim().split("\n");
    expect(cmds[0]).toMatch(/^flush chain inet tortie t-[0-9a-f]{12}$/);
    expect(cmds.slice(1).every((l) => l.startsWith("add rule inet tortie t-"))).toBe(true);
    expect(d.rules).toBe(4); // the UDP deny, the selector rule for IPv4 and IPv6, the end of the tier
  });

  it("removing a policy rewires the endpoint and deletes what only it used", () => {
    const e = world();
    e.apply([policy]);
    const before = renderRuleset(e);
    e.delete("NetworkPolicy", "web", "prod");
    const after = renderRuleset(e);
    const d = diffScript(before, after).text;
    expect(d).toMatch(/delete element inet tortie to-ep \{ "cali-web" \}/);
    expect(d).toMatch(/add element inet tortie to-ep \{ "cali-web" : jump e-/);
    expect(d).toMatch(/flush chain inet tortie t-[0-9a-f]{12}\n/);
    expect(d).toMatch(/delete chain inet tortie t-[0-9a-f]{12}\n/);
    expect(d).toMatch(/delete set inet tortie s-[0-9a-f]{16}-4\n/);
    // deletions come after everything that referenced them is gone
    expect(d.indexOf("delete chain")).toBeGreaterThan(d.lastIndexOf("add element"));
    expect(diffScript(after, after).commands).toBe(0);
  });
});

describe("Log", () => {
  it("goes to an nflog group when asked", () => {
    const e = world();
    const out = renderRule(e, compileRule({ action: "Log", protocol: "TCP" }, 0, "prod"), "r", {
      logGroup: 5,
    });
    expect(out.rules).toEqual([
      'meta l4proto tcp counter log group 5 prefix "tortie r: " comment "r"',
    ]);
  });
});

describe("host endpoints", () => {
  it("doNotTrack, preDNAT and normal policies land in raw, pre-DNAT and input/output chains", () => {
    const e = new PolicyEngine();
    e.apply([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "HostEndpoint",
        metadata: { name: "h", labels: { role: "node" } },
        spec: { interfaceName: "eth0", expectedIPs: ["198.51.100.1"] },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "u" },
        spec: {
          selector: "has(role)",
          doNotTrack: true,
          applyOnForward: true,
          ingress: [{ action: "Allow", protocol: "UDP" }],
        },
      },
      {
        apiVersion: "projectcalico.org/v3",
        kind: "GlobalNetworkPolicy",
        metadata: { name: "p" },
        spec: {
          selector: "has(role)",
          preDNAT: true,
          applyOnForward: true,
          ingress: [{ action: "Deny", protocol: "TCP" }],
        },
      },
    ]);
    const rs = renderRuleset(e);
    expect(rs.chains.get("hep-raw-in")?.hook).toBe(
      "type filter hook prerouting priority raw; policy accept;",
    );
    expect(rs.chains.get("hep-prednat")?.rules).toEqual([
      "meta mark & 0x00040000 == 0x00040000 accept",
      "iifname vmap @hep-prednat-in",
    ]);
    const all = [...rs.chains.values()].flatMap((c) => c.rules);
    expect(all).toContain(
      'meta l4proto udp counter meta mark set meta mark | 0x00040000 notrack accept comment "default/u ingress rule 0"',
    );
    expect(all).toContain('meta l4proto tcp counter drop comment "default/p ingress rule 0"');
    const maps = (n: string) => rs.sets.get(n)?.elements.map((x) => x.split(" : ")[0]);
    expect(maps("hep-raw-in")).toEqual(['"eth0"']);
    expect(maps("hep-raw-out")).toEqual([]); // no doNotTrack egress policy
    expect(maps("hep-in")).toEqual(['"eth0"']);
    expect(maps("from-ep")).toEqual([]);
  });
});
