// BGPFilter evaluation with the semantics of Calico's generated BIRD
// config: each match field on its own, first match wins across a peer's
// filters, IPv4/IPv6 rule lists apart, defaults (import accept; export the
// caller's), operations; properties against simple references; and the
// compiled policy driving a Rib.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AttrInterner } from "../rib/attrs.js";
import type { SourceKind } from "../rib/path.js";
import type { PolicyPeer, PolicyRoute } from "../rib/policy-hook.js";
import { type AttrsSpec, attrs, pfx } from "../rib/rib.fixture.js";
import { Rib } from "../rib/rib.js";
import { formatPrefix, parsePrefix } from "../wire/prefix.js";
import { asPathStartsWith, compileFilters, patternMatch } from "./compile.js";
import { parseBgpFilter } from "./parse.js";
import type { BgpFilter, FilterRule } from "./types.js";

const interner = new AttrInterner();
const EBGP: PolicyPeer = { id: "e", kind: "ebgp", asn: 65001, address: "192.0.2.1" };
const IBGP: PolicyPeer = { id: "i", kind: "ibgp", asn: 65000, address: "192.0.2.2" };

function route(
  prefix: string,
  spec: AttrsSpec = {},
  more: { sourceKind?: SourceKind; interface?: string; priority?: number } = {},
): PolicyRoute {
  const init = attrs({ nextHop: "192.0.2.1", ...spec });
  return {
    prefix: parsePrefix(prefix),
    attrs: interner.intern(
      more.priority === undefined ? init : { ...init, priority: more.priority },
    ),
    sourceKind: more.sourceKind ?? "ebgp",
    ...(more.interface !== undefined ? { interface: more.interface } : {}),
  };
}

const filter = (
  name: string,
  importV4: FilterRule[] = [],
  extra: Partial<BgpFilter["spec"]> = {},
): BgpFilter => parseBgpFilter({ metadata: { name }, spec: { importV4, ...extra } });
const verdictOf = (rule: Record<string, unknown>, r: PolicyRoute, peer = EBGP) =>
  compileFilters([filter("f", [{ action: "Reject", ...rule } as FilterRule])], "import").policy(
    r,
    peer,
  ).accept === false;

describe("match fields (true = the Reject rule matched)", () => {
  it.each<[string, Record<string, unknown>, string, boolean]>([
    [
      "Equal: the same prefix",
      { cidr: "10.1.0.0/16", matchOperator: "Equal" },
      "10.1.0.0/16",
      true,
    ],
    [
      "Equal: a longer prefix inside",
      { cidr: "10.1.0.0/16", matchOperator: "Equal" },
      "10.1.2.0/24",
      false,
    ],
    [
      "NotEqual: a longer prefix inside",
      { cidr: "10.1.0.0/16", matchOperator: "NotEqual" },
      "10.1.2.0/24",
      true,
    ],
    [
      "NotEqual: the same prefix",
      { cidr: "10.1.0.0/16", matchOperator: "NotEqual" },
      "10.1.0.0/16",
      false,
    ],
    ["In: the cidr itself", { cidr: "10.1.0.0/16", matchOperator: "In" }, "10.1.0.0/16", true],
    ["In: inside", { cidr: "10.1.0.0/16", matchOperator: "In" }, "10.1.200.0/24", true],
    [
      "In: a shorter covering prefix is not in",
      { cidr: "10.1.0.0/16", matchOperator: "In" },
      "10.0.0.0/8",
      false,
    ],
    ["In: outside", { cidr: "10.1.0.0/16", matchOperator: "In" }, "10.2.0.0/24", false],
    ["NotIn: outside", { cidr: "10.1.0.0/16", matchOperator: "NotIn" }, "10.2.0.0/24", true],
    ["NotIn: inside", { cidr: "10.1.0.0/16", matchOperator: "NotIn" }, "10.1.2.0/24", false],
    [
      "In with host bits in the cidr (masked)",
      { cidr: "77.0.0.1/16", matchOperator: "In" },
      "77.0.5.0/24",
      true,
    ],
    [
      "prefixLength 24-28: /24 inside",
      { cidr: "10.0.0.0/8", matchOperator: "In", prefixLength: { min: 24, max: 28 } },
      "10.9.9.0/24",
      true,
    ],
    [
      "prefixLength 24-28: /16 inside",
      { cidr: "10.0.0.0/8", matchOperator: "In", prefixLength: { min: 24, max: 28 } },
      "10.9.0.0/16",
      false,
    ],
    [
      "prefixLength 24-28: /29 inside",
      { cidr: "10.0.0.0/8", matchOperator: "In", prefixLength: { min: 24, max: 28 } },
      "10.9.9.8/29",
      false,
    ],
    [
      "prefixLength max only: min is the cidr's length",
      { cidr: "10.0.0.0/8", matchOperator: "In", prefixLength: { max: 16 } },
      "10.0.0.0/8",
      true,
    ],
    [
      "prefixLength min below the cidr's length is raised",
      { cidr: "10.0.0.0/8", matchOperator: "In", prefixLength: { min: 4 } },
      "0.0.0.0/4",
      false,
    ],
    [
      "NotIn with prefixLength: /30 inside is not in the set",
      { cidr: "10.0.0.0/8", matchOperator: "NotIn", prefixLength: { max: 24 } },
      "10.0.0.0/30",
      true,
    ],
  ])("%s", (_n, rule, prefix, matched) => {
    expect(verdictOf(rule, route(prefix))).toBe(matched);
  });

  it("source RemotePeers: learned routes only", () => {
    expect(verdictOf({ source: "RemotePeers" }, route("10.0.0.0/24"))).toBe(true);
    expect(
      verdictOf({ source: "RemotePeers" }, route("10.0.0.0/24", {}, { sourceKind: "ibgp" })),
    ).toBe(true);
    expect(
      verdictOf({ source: "RemotePeers" }, route("10.0.0.0/24", {}, { sourceKind: "local" })),
    ).toBe(false);
  });

  it("interface: BIRD pattern on the route's interface; none known = no match", () => {
    expect(verdictOf({ interface: "eth*" }, route("10.0.0.0/24", {}, { interface: "eth0" }))).toBe(
      true,
    );
    expect(verdictOf({ interface: "eth?" }, route("10.0.0.0/24", {}, { interface: "eth10" }))).toBe(
      false,
    );
    expect(verdictOf({ interface: "cali*" }, route("10.0.0.0/24", {}, { interface: "eth0" }))).toBe(
      false,
    );
    expect(verdictOf({ interface: "eth*" }, route("10.0.0.0/24"))).toBe(false);
  });

  it("peerType: iBGP is the same AS", () => {
    expect(verdictOf({ peerType: "iBGP" }, route("10.0.0.0/24"), IBGP)).toBe(true);
    expect(verdictOf({ peerType: "iBGP" }, route("10.0.0.0/24"), EBGP)).toBe(false);
    expect(verdictOf({ peerType: "eBGP" }, route("10.0.0.0/24"), EBGP)).toBe(true);
  });

  it("communities: standard and large membership", () => {
    expect(
      verdictOf(
        { communities: { values: ["65000:100"] } },
        route("10.0.0.0/24", { communities: [65000 * 65536 + 100] }),
      ),
    ).toBe(true);
    expect(
      verdictOf(
        { communities: { values: ["65000:100"] } },
        route("10.0.0.0/24", { communities: [65000 * 65536 + 101] }),
      ),
    ).toBe(false);
    const large = route("10.0.0.0/24", {
      extra: [
        { type: "large-communities", communities: [{ global: 65000, local1: 1, local2: 2 }] },
      ],
    });
    expect(verdictOf({ communities: { values: ["65000:1:2"] } }, large)).toBe(true);
    expect(verdictOf({ communities: { values: ["65000:1:3"] } }, large)).toBe(false);
  });

  it("asPathPrefix: the path starts with the ASes", () => {
    expect(
      verdictOf(
        { asPathPrefix: [65001, 65002] },
        route("10.0.0.0/24", { path: [65001, 65002, 65003] }),
      ),
    ).toBe(true);
    expect(
      verdictOf({ asPathPrefix: [65001, 65002] }, route("10.0.0.0/24", { path: [65001] })),
    ).toBe(false);
    expect(
      verdictOf({ asPathPrefix: [65002] }, route("10.0.0.0/24", { path: [65001, 65002] })),
    ).toBe(false);
  });

  it("priority: equal priority; a route without one does not match", () => {
    expect(verdictOf({ priority: 512 }, route("10.0.0.0/24", {}, { priority: 512 }))).toBe(true);
    expect(verdictOf({ priority: 512 }, route("10.0.0.0/24", {}, { priority: 1024 }))).toBe(false);
    expect(verdictOf({ priority: 512 }, route("10.0.0.0/24"))).toBe(false);
  });

  it("all conditions of a rule must hold", () => {
    const rule = {
      cidr: "10.0.0.0/8",
      matchOperator: "In",
      peerType: "eBGP",
      communities: { values: ["1:1"] },
    };
    expect(verdictOf(rule, route("10.0.0.0/24", { communities: [65537] }))).toBe(true);
    expect(verdictOf(rule, route("10.0.0.0/24", { communities: [65537] }), IBGP)).toBe(false);
    expect(verdictOf(rule, route("10.0.0.0/24"))).toBe(false);
  });
});

describe("evaluation order and defaults", () => {
  it("first match wins across a peer's filters, in order", () => {
    const f1 = filter("first", [{ cidr: "10.0.0.0/8", matchOperator: "In", action: "Accept" }]);
    const f2 = filter("second", [{ action: "Reject" }]);
    const { policy, explain } = compileFilters([f1, f2], "import");
    expect(policy(route("10.1.0.0/16"), EBGP).accept).toBe(true);
    expect(explain(route("10.1.0.0/16"), EBGP)).toMatchObject({ filter: "first", rule: 0 });
    expect(policy(route("192.0.2.0/24"), EBGP).accept).toBe(false);
    expect(explain(route("192.0.2.0/24"), EBGP)).toMatchObject({ filter: "second", rule: 0 });
    const reversed = compileFilters([f2, f1], "import");
    expect(reversed.policy(route("10.1.0.0/16"), EBGP).accept).toBe(false);
  });

  it("no match: import accepts; export uses the caller's default", () => {
    const f = filter("f", [{ cidr: "10.0.0.0/8", matchOperator: "In", action: "Reject" }], {
      exportV4: [{ cidr: "10.0.0.0/8", matchOperator: "In", action: "Accept" }],
    });
    expect(compileFilters([f], "import").explain(route("192.0.2.0/24"), EBGP)).toMatchObject({
      filter: undefined,
      verdict: { accept: true },
    });
    expect(compileFilters([f], "export").policy(route("192.0.2.0/24"), EBGP).accept).toBe(true);
    const strictExport = compileFilters([f], "export", { exportDefault: { accept: false } });
    expect(strictExport.policy(route("192.0.2.0/24"), EBGP).accept).toBe(false);
    expect(strictExport.policy(route("10.0.0.0/24"), EBGP).accept).toBe(true);
    const fn = compileFilters([], "export", {
      exportDefault: (r) => ({ accept: r.sourceKind === "local" }),
    });
    expect(fn.policy(route("192.0.2.0/24"), EBGP).accept).toBe(false);
  });

  it("declares the families it rejects outright (rejectsAfi), and its verdicts agree", () => {
    const v4Reject = filter("none", [], { exportV4: [{ action: "Reject" }] });
    const v6Reject = filter("none6", [], { exportV6: [{ action: "Reject" }] });
    const conditional = filter("c", [], {
      exportV4: [{ cidr: "10.0.0.0/8", matchOperator: "In", action: "Reject" }],
    });
    const acceptFirst = filter("a", [], { exportV4: [{ action: "Accept" }] });
    const reject = { exportDefault: { accept: false } } as const;
    const cases: [BgpFilter[], Parameters<typeof compileFilters>[2], number[]][] = [
      [[v4Reject], {}, [1]],
      [[v6Reject], {}, [2]],
      [[v4Reject, v6Reject], {}, [1, 2]],
      // The first rule decides: a conditional rule before the catch-all does not count.
      [[conditional, v4Reject], {}, []],
      [[acceptFirst, v4Reject], {}, []],
      // No rules: the fallback decides — a fixed reject covers both families, a function none.
      [[], reject, [1, 2]],
      [[acceptFirst], reject, [2]],
      [[], { exportDefault: () => ({ accept: false }) }, []],
      [[], {}, []],
    ];
    for (const [filters, opts, afis] of cases) {
      expect(compileFilters(filters, "export", opts).policy.rejectsAfi ?? []).toEqual(afis);
    }
    // Whatever it declares, the function rejects: random routes of a declared family.
    const peers = [EBGP, IBGP];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: cases.length - 1 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.boolean(),
        (c, addr, len, v6) => {
          const [filters, opts] = cases[c]!;
          const { policy } = compileFilters(filters, "export", opts);
          const a = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255];
          const r = v6
            ? route(`2001:db8:${a[0]!.toString(16)}::/${Math.min(128, 48 + len)}`, {
                nextHop: "2001:db8::1",
              })
            : route(`${a.join(".")}/${len}`);
          const afi = v6 ? 2 : 1;
          if (!policy.rejectsAfi?.includes(afi)) return true;
          return peers.every((p) => policy(r, p).accept === false);
        },
      ),
    );
  });

  it("IPv4 routes see V4 rules only, IPv6 routes V6 rules only", () => {
    const f = filter("f", [{ action: "Reject" }], {
      importV6: [{ cidr: "2001:db8::/32", matchOperator: "In", action: "Reject" }],
    });
    const { policy } = compileFilters([f], "import");
    expect(policy(route("10.0.0.0/24"), EBGP).accept).toBe(false);
    expect(policy(route("2001:db8:1::/48", { nextHop: "2001:db8::1" }), EBGP).accept).toBe(false);
    expect(policy(route("2001:db9::/48", { nextHop: "2001:db8::1" }), EBGP).accept).toBe(true);
  });

  it("operations become one modification, in Calico's order", () => {
    const f = filter("f", [
      {
        action: "Accept",
        operations: [
          { addCommunity: { value: "65000:1" } },
          { prependASPath: { prefix: [1, 2] } },
          { addCommunity: { value: "65000:2:3" } },
          { prependASPath: { prefix: [3] } },
          { setPriority: { value: 9 } },
        ],
      },
    ]);
    const v = compileFilters([f], "import").policy(route("10.0.0.0/24"), EBGP);
    expect(v).toEqual({
      accept: true,
      rule: 0,
      modify: {
        addCommunities: [65000 * 65536 + 1],
        addLargeCommunities: [{ global: 65000, local1: 2, local2: 3 }],
        prependAsPath: [3, 1, 2],
        priority: 9,
      },
    });
  });
});

describe("properties", () => {
  it("patternMatch agrees with an anchored regular expression", () => {
    const ch = fc.constantFrom("a", "b", "0", "*", "?");
    fc.assert(
      fc.property(
        fc.string({ unit: ch, maxLength: 6 }),
        fc.string({ unit: fc.constantFrom("a", "b", "0"), maxLength: 8 }),
        (pat, text) => {
          const re = new RegExp(`^${pat.replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
          expect(patternMatch(pat, text)).toBe(re.test(text));
        },
      ),
    );
  });

  it("In and NotIn are complements; so are Equal and NotEqual", () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 32 }),
        fc.ipV4(),
        fc.integer({ min: 0, max: 32 }),
        (a, al, b, bl) => {
          const cidr = `${a}/${al}`;
          const r = route(`${b}/${bl}`);
          expect(verdictOf({ cidr, matchOperator: "In" }, r)).toBe(
            !verdictOf({ cidr, matchOperator: "NotIn" }, r),
          );
          expect(verdictOf({ cidr, matchOperator: "Equal" }, r)).toBe(
            !verdictOf({ cidr, matchOperator: "NotEqual" }, r),
          );
          // Equal implies In.
          if (verdictOf({ cidr, matchOperator: "Equal" }, r))
            expect(verdictOf({ cidr, matchOperator: "In" }, r)).toBe(true);
        },
      ),
    );
  });

  it("asPathStartsWith agrees with a flat-array reference on AS_SEQUENCE paths", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
        (path, prefix) => {
          const ref = prefix.length <= path.length && prefix.every((a, i) => path[i] === a);
          expect(asPathStartsWith(route("10.0.0.0/24", { path }), prefix)).toBe(ref);
        },
      ),
    );
  });
});

describe("with a Rib", () => {
  it("an import BGPFilter rejects and modifies routes as they arrive", () => {
    const f = filter("calico", [
      { cidr: "198.51.100.0/24", matchOperator: "In", prefixLength: { min: 25 }, action: "Reject" },
      {
        cidr: "198.51.100.0/24",
        matchOperator: "In",
        action: "Accept",
        operations: [{ addCommunity: { value: "65000:7" } }, { setPriority: { value: 1024 } }],
      },
    ]);
    const r = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
    r.addPeer({
      id: "e1",
      address: "192.0.2.1",
      asn: 65001,
      importPolicy: compileFilters([f], "import").policy,
    });
    const res = r.announce(
      "e1",
      pfx("198.51.100.0/24", "198.51.100.128/25", "203.0.113.0/24"),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    expect(res.rejected).toBe(1);
    expect(r.size).toBe(2);
    const best = r.best(pfx("198.51.100.0/24")[0]!)!;
    expect(best.attrs.communities).toEqual([65000 * 65536 + 7]);
    expect(best.attrs.priority).toBe(1024);
    // The unmatched prefix is accepted unchanged (default accept on import).
    expect(r.best(pfx("203.0.113.0/24")[0]!)!.attrs.communities).toEqual([]);
  });

  it("an export BGPFilter with peerType and prepend shapes what each peer is sent", () => {
    const f = parseBgpFilter({
      metadata: { name: "out" },
      spec: {
        exportV4: [
          {
            peerType: "eBGP",
            action: "Accept",
            operations: [{ prependASPath: { prefix: [65000, 65000] } }],
          },
          { peerType: "iBGP", cidr: "203.0.113.0/24", matchOperator: "Equal", action: "Reject" },
        ],
      },
    });
    const exportPolicy = compileFilters([f], "export").policy;
    const r = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
    r.addPeer({
      id: "e1",
      address: "192.0.2.1",
      asn: 65001,
      localAddress: "192.0.2.254",
      exportPolicy,
    });
    r.addPeer({
      id: "i2",
      address: "192.0.2.2",
      asn: 65000,
      localAddress: "192.0.2.254",
      exportPolicy,
    });
    r.originate(pfx("203.0.113.0/24"), { attributes: [] });
    const e = r.startExport("e1").take();
    expect(e.announce[0]!.attrs.asPath).toEqual([{ type: 2, asns: [65000, 65000, 65000] }]);
    expect(r.startExport("i2").take().announce).toEqual([]);
  });

  it("a family the export policy rejects outright is never evaluated; policy changes send the difference", () => {
    let calls = 0;
    // Rejects every IPv4 route (declared), accepts IPv6.
    const noV4 = Object.assign(
      (route: PolicyRoute) => {
        calls++;
        return { accept: route.prefix.afi !== 1 };
      },
      { rejectsAfi: [1] },
    );
    const r = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
    r.addPeer({
      id: "e1",
      address: "192.0.2.1",
      asn: 65001,
      localAddress: "192.0.2.254",
      localAddress6: "2001:db8::fe",
      exportPolicy: noV4,
    });
    const v4 = Array.from({ length: 1000 }, (_, i) => `198.18.${i >> 8}.${i & 255}/32`);
    r.originate(pfx(...v4), { attributes: [] });
    r.originate(pfx("2001:db8:7::/48"), { attributes: [] });
    const out = r.startExport("e1");
    const first = out.take();
    expect(first.announce.flatMap((g) => g.prefixes.map(formatPrefix))).toEqual([
      "2001:db8:7::/48",
    ]);
    expect(calls).toBe(1); // the IPv6 route only
    // Accept everything: the 1,000 IPv4 routes follow, nothing else.
    r.setExportPolicy("e1", undefined);
    const all = out.take();
    expect(all.announce.flatMap((g) => g.prefixes).length).toBe(1000);
    expect(out.size).toBe(1001);
    // Reject IPv4 again: exactly those are withdrawn; new IPv4 routes are not looked at.
    r.setExportPolicy("e1", noV4);
    expect(out.take().withdraw.length).toBe(1000);
    calls = 0;
    r.originate(pfx("203.0.113.0/24"), { attributes: [] });
    expect(out.pendingCount).toBe(0);
    expect(calls).toBe(0);
  });
});
