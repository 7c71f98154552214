// Fuzz the loader: any text, and any JSON-like value shaped like a resource,
// either loads or throws ResourceValidationError — never anything else.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResourceValidationError } from "./errors.js";
import { loadResources, validateResource } from "./load.js";
import { allKinds } from "./registry.js";

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ResourceValidationError)) throw e;
  }
}

describe("loader fuzz", () => {
  it("arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => onlyTyped(() => loadResources(s))),
      { numRuns: 400 },
    );
  });

  it("resource-shaped values of every kind", () => {
    const kinds = allKinds();
    const key = fc.constantFrom(
      "spec",
      "metadata",
      "status",
      "name",
      "namespace",
      "selector",
      "ingress",
      "egress",
      "cidr",
      "ports",
      "protocol",
      "interfaceName",
      "toString",
      "__proto__",
      "constructor",
      "types",
      "nets",
      "action",
      "items",
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.string({ maxLength: 20 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(key, tie("v"), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.dictionary(key, value, { maxKeys: 5 }),
        fc.string({ maxLength: 12 }),
        (k, extra, name) =>
          onlyTyped(() =>
            validateResource({
              apiVersion: k.apiVersion,
              kind: k.kind,
              metadata: { name },
              ...extra,
            }),
          ),
      ),
      { numRuns: 600 },
    );
    expect(kinds.length).toBeGreaterThan(20);
  });
});
