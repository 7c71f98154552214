// The resource loader is a decoder of untrusted text: for any input it
// returns resources or throws ResourceValidationError — nothing else.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadResources, ResourceValidationError, validateResource } from "./load.js";

const kinds = [
  "IPPool",
  "BGPPeer",
  "NetworkPolicy",
  "GlobalNetworkPolicy",
  "Node",
  "Tier",
  "HostEndpoint",
  "Widget",
];

describe("resource loader fuzz", () => {
  it("returns or throws ResourceValidationError for arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          expect(Array.isArray(loadResources(text))).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ResourceValidationError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("returns or throws ResourceValidationError for arbitrary objects shaped like resources", () => {
    const obj = fc.record({
      apiVersion: fc.constantFrom("projectcalico.org/v3", "networking.k8s.io/v1", "v1", 3),
      kind: fc.constantFrom(...kinds),
      metadata: fc.oneof(fc.record({ name: fc.string({ maxLength: 12 }) }), fc.anything()),
      spec: fc.oneof(
        fc.anything(),
        fc.dictionary(
          fc.constantFrom(
            "cidr",
            "blockSize",
            "peerIP",
            "asNumber",
            "selector",
            "ingress",
            "nets",
            "node",
          ),
          fc.anything(),
        ),
      ),
    });
    fc.assert(
      fc.property(fc.oneof(obj, fc.anything()), (o) => {
        try {
          const r = validateResource(o);
          expect(typeof r.kind).toBe("string");
        } catch (e) {
          expect(e).toBeInstanceOf(ResourceValidationError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
