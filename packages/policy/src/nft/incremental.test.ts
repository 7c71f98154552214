import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyEngine } from "../engine/engine.js";
import { NftRenderer, renderRuleset } from "./render.js";
import { diffScript, fullScript, type Ruleset } from "./ruleset.js";

const text = (rs: Ruleset) => fullScript(rs).text;

const pod = (i: number, app: string, ns = `ns${i % 2}`) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "WorkloadEndpoint",
  metadata: { name: `p${i}`, namespace: ns, labels: { app } },
  spec: {
    ipNetworks: [`192.0.2.${10 + i}/32`],
    interfaceName: `cali${i}`,
    ports: [{ name: "http", port: 8000 + (i % 2) }],
  },
});
const pol = (i: number, app: string, fromApp: string, port: number, tier = "default") => ({
  apiVersion: "projectcalico.org/v3",
  kind: "NetworkPolicy",
  metadata: { name: `pol${i}`, namespace: `ns${i % 2}` },
  spec: {
    tier,
    order: i,
    selector: `app == "${app}"`,
    ingress: [
      {
        action: "Allow",
        protocol: "TCP",
        source: { selector: `app == "${fromApp}"` },
        destination: { ports: [port, "http"] },
      },
      { action: i % 3 === 0 ? "Pass" : "Deny", protocol: "UDP" },
    ],
  },
});

describe("incremental rendering equals rendering from scratch", () => {
  it("after any sequence of changes", () => {
    const apps = ["a", "b", "c"];
    const op = fc.oneof(
      fc.record({
        t: fc.constant("pod" as const),
        i: fc.integer({ min: 0, max: 5 }),
        app: fc.constantFrom(...apps),
      }),
      fc.record({ t: fc.constant("delpod" as const), i: fc.integer({ min: 0, max: 5 }) }),
      fc.record({
        t: fc.constant("pol" as const),
        i: fc.integer({ min: 0, max: 3 }),
        app: fc.constantFrom(...apps),
        from: fc.constantFrom(...apps),
        port: fc.constantFrom(80, 443),
        tier: fc.constantFrom("default", "sec"),
      }),
      fc.record({ t: fc.constant("delpol" as const), i: fc.integer({ min: 0, max: 3 }) }),
      fc.record({
        t: fc.constant("ns" as const),
        n: fc.integer({ min: 0, max: 1 }),
        env: fc.constantFrom("x", "y"),
      }),
      fc.record({
        t: fc.constant("tier" as const),
        order: fc.constantFrom(1, 2_000_000),
        action: fc.constantFrom("Deny", "Pass"),
      }),
      fc.record({
        t: fc.constant("netset" as const),
        net: fc.constantFrom("198.51.100.0/24", "203.0.113.0/24"),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const e = new PolicyEngine();
        e.apply([
          {
            apiVersion: "projectcalico.org/v3",
            kind: "GlobalNetworkPolicy",
            metadata: { name: "gnp" },
            spec: {
              selector: "has(app)",
              ingress: [{ action: "Allow", source: { selector: "role == 'x'" } }],
            },
          },
        ]);
        const r = new NftRenderer();
        let last = r.render(e);
        for (const o of ops) {
          if (o.t === "pod") e.apply([pod(o.i, o.app)]);
          else if (o.t === "delpod") e.delete("WorkloadEndpoint", `p${o.i}`, `ns${o.i % 2}`);
          else if (o.t === "pol") e.apply([pol(o.i, o.app, o.from, o.port, o.tier)]);
          else if (o.t === "delpol") e.delete("NetworkPolicy", `pol${o.i}`, `ns${o.i % 2}`);
          else if (o.t === "ns")
            e.apply([
              {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: `ns${o.n}`, labels: { env: o.env } },
              },
            ]);
          else if (o.t === "tier")
            e.apply([
              {
                apiVersion: "projectcalico.org/v3",
                kind: "Tier",
                metadata: { name: "sec" },
                spec: { order: o.order, defaultAction: o.action },
              },
            ]);
          else
            e.apply([
              {
                apiVersion: "projectcalico.org/v3",
                kind: "GlobalNetworkSet",
                metadata: { name: "ns", labels: { role: "x" } },
                spec: { nets: [o.net] },
              },
            ]);
          const inc = r.render(e);
          expect(text(inc)).toBe(text(renderRuleset(e)));
          // and the diff from the previous state is consistent: applying it to `last` gives `inc`
          const d = diffScript(last, inc);
          expect(diffScript(inc, inc).commands).toBe(0);
          expect(d.commands >= 0).toBe(true);
          last = inc;
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a label change re-renders one endpoint, not all", () => {
    const e = new PolicyEngine();
    const pods = Array.from({ length: 50 }, (_, i) => pod(i, i % 4 < 2 ? "a" : "b"));
    e.apply([...pods, pol(0, "a", "b", 80), pol(1, "b", "a", 80)]);
    const r = new NftRenderer();
    const before = r.render(e);
    e.apply([pod(4, "b")]); // ns0, like pod 2 which is already "b"
    const after = r.render(e);
    const d = diffScript(before, after);
    // the pod's dispatch entries move to the other chains; selector sets change
    expect(d.text).toMatch(/"cali4"/);
    expect(d.text).not.toMatch(/"cali2"|"cali6"/);
    expect(d.rules).toBe(0);
  });
});
