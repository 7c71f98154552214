import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PolicyValidationError } from "./errors.js";
import { loadResources, toResource } from "./load.js";

const policy = fc.record({
  name: fc.stringMatching(/^[a-z]([a-z0-9-]{0,9}[a-z0-9])?$/),
  order: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
  selector: fc.constantFrom(
    "all()",
    'app == "web"',
    "has(tier) && !has(legacy)",
    "app in {'a', 'b'}",
  ),
  rules: fc.array(
    fc.record({
      action: fc.constantFrom("Allow", "Deny", "Log", "Pass"),
      protocol: fc.constantFrom("TCP", "UDP"),
      source: fc.record({
        nets: fc.constantFrom(["192.0.2.0/24"], ["198.51.100.0/24", "2001:db8::/32"]),
        selector: fc.constantFrom('role == "db"', "all()"),
      }),
      destination: fc.record({ ports: fc.constantFrom([80], [80, "443:450"], ["http"]) }),
    }),
    { maxLength: 4 },
  ),
});

describe("resources", () => {
  it("YAML round trip: written out and read back, a policy is unchanged", () => {
    fc.assert(
      fc.property(policy, (p) => {
        const res = {
          apiVersion: "projectcalico.org/v3",
          kind: "GlobalNetworkPolicy",
          metadata: { name: p.name },
          spec: {
            ...(p.order === undefined ? {} : { order: p.order }),
            selector: p.selector,
            ingress: p.rules,
          },
        };
        const [back] = loadResources(stringify(res));
        expect(back).toEqual(toResource(res));
        // Read back: as written, plus Calico's defaults (tier, types).
        expect(back).toEqual({
          ...res,
          spec: { tier: "default", ...res.spec, types: ["Ingress"] },
        });
        // And reading the defaulted form back changes nothing more.
        expect(loadResources(stringify(back))[0]).toEqual(back);
      }),
    );
  });

  it("any input returns resources or throws PolicyValidationError, nothing else", () => {
    const nearlyValid = fc.record({
      apiVersion: fc.constantFrom("projectcalico.org/v3", "networking.k8s.io/v1", "v1", "x"),
      kind: fc.constantFrom(
        "NetworkPolicy",
        "GlobalNetworkPolicy",
        "Tier",
        "NetworkSet",
        "GlobalNetworkSet",
        "HostEndpoint",
        "WorkloadEndpoint",
        "Profile",
        "Namespace",
      ),
      metadata: fc.record({
        name: fc.string(),
        namespace: fc.option(fc.string(), { nil: undefined }),
      }),
      spec: fc.dictionary(
        fc.constantFrom(
          "selector",
          "ingress",
          "egress",
          "podSelector",
          "nets",
          "order",
          "types",
          "tier",
          "policyTypes",
          "ipNetworks",
        ),
        fc.anything(),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), nearlyValid), (obj) => {
        try {
          toResource(obj);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyValidationError);
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          loadResources(text);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyValidationError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
