// BGPFilter validation: Calico's rules, strict keys with "did you mean",
// paths in every error; fuzzed with arbitrary JSON (it returns or throws
// BgpFilterError, nothing else).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BgpFilterError } from "./errors.js";
import { parseAsNumber, parseBgpFilter, parseCommunity } from "./parse.js";

const ok = {
  apiVersion: "projectcalico.org/v3",
  kind: "BGPFilter",
  metadata: { name: "f1" },
  spec: {
    importV4: [
      {
        cidr: "10.0.0.0/8",
        matchOperator: "In",
        prefixLength: { min: 16, max: 24 },
        action: "Reject",
      },
      {
        cidr: "198.51.100.0/24",
        matchOperator: "Equal",
        source: "RemotePeers",
        interface: "eth*",
        peerType: "eBGP",
        communities: { values: ["65000:100"] },
        asPathPrefix: [65001, "65002", "1.10"],
        priority: 512,
        action: "Accept",
        operations: [
          { addCommunity: { value: "65000:1:2" } },
          { prependASPath: { prefix: [65000] } },
          { setPriority: { value: 7 } },
        ],
      },
    ],
    exportV6: [
      { cidr: "2001:db8::/32", matchOperator: "NotIn", action: "Reject" },
      { action: "Accept" },
    ],
  },
};

function err(input: unknown): BgpFilterError {
  try {
    parseBgpFilter(input);
  } catch (e) {
    if (e instanceof BgpFilterError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

const withRule = (rule: Record<string, unknown>, list = "importV4") => ({
  metadata: { name: "x" },
  spec: { [list]: [rule] },
});

describe("parseBgpFilter", () => {
  it("accepts a full filter and normalises AS numbers", () => {
    const f = parseBgpFilter(ok);
    expect(f.metadata.name).toBe("f1");
    expect(f.spec.importV4![1]!.asPathPrefix).toEqual([65001, 65002, 65546]);
    expect(f.spec.exportV6).toHaveLength(2);
  });

  it.each<[string, unknown, string, string | undefined]>([
    [
      "misspelled rule key",
      withRule({ matchOperater: "In", cidr: "10.0.0.0/8", action: "Accept" }),
      "spec.importV4[0].matchOperater",
      "matchOperator",
    ],
    [
      "misspelled spec key",
      { metadata: { name: "x" }, spec: { importv4: [] } },
      "spec.importv4",
      "importV4",
    ],
    ["misspelled top-level key", { metadata: { name: "x" }, sepc: {} }, "BGPFilter.sepc", "spec"],
    ["misspelled action", withRule({ action: "Acept" }), "spec.importV4[0].action", "Accept"],
    ["missing action", withRule({}), "spec.importV4[0].action", undefined],
    [
      "cidr without matchOperator",
      withRule({ cidr: "10.0.0.0/8", action: "Accept" }),
      "spec.importV4[0]",
      undefined,
    ],
    [
      "matchOperator without cidr",
      withRule({ matchOperator: "In", action: "Accept" }),
      "spec.importV4[0]",
      undefined,
    ],
    [
      "IPv6 cidr in a V4 rule",
      withRule({ cidr: "2001:db8::/32", matchOperator: "In", action: "Accept" }),
      "spec.importV4[0].cidr",
      undefined,
    ],
    [
      "IPv4 cidr in a V6 rule",
      withRule({ cidr: "10.0.0.0/8", matchOperator: "In", action: "Accept" }, "exportV6"),
      "spec.exportV6[0].cidr",
      undefined,
    ],
    [
      "bad cidr",
      withRule({ cidr: "10.0.0.0/33", matchOperator: "In", action: "Accept" }),
      "spec.importV4[0].cidr",
      undefined,
    ],
    [
      "prefixLength without cidr",
      withRule({ prefixLength: { min: 8 }, action: "Accept" }),
      "spec.importV4[0].prefixLength",
      undefined,
    ],
    [
      "prefixLength with Equal",
      withRule({
        cidr: "10.0.0.0/8",
        matchOperator: "Equal",
        prefixLength: { min: 8 },
        action: "Accept",
      }),
      "spec.importV4[0].prefixLength",
      undefined,
    ],
    [
      "prefixLength above 32",
      withRule({
        cidr: "10.0.0.0/8",
        matchOperator: "In",
        prefixLength: { max: 33 },
        action: "Accept",
      }),
      "spec.importV4[0].prefixLength.max",
      undefined,
    ],
    [
      "prefixLength that matches nothing",
      withRule({
        cidr: "10.0.0.0/16",
        matchOperator: "In",
        prefixLength: { max: 8 },
        action: "Accept",
      }),
      "spec.importV4[0].prefixLength",
      undefined,
    ],
    [
      "operations with Reject",
      withRule({ action: "Reject", operations: [{ setPriority: { value: 1 } }] }),
      "spec.importV4[0].operations",
      undefined,
    ],
    [
      "two fields in one operation",
      withRule({
        action: "Accept",
        operations: [{ setPriority: { value: 1 }, addCommunity: { value: "1:1" } }],
      }),
      "spec.importV4[0].operations[0]",
      undefined,
    ],
    [
      "empty operations",
      withRule({ action: "Accept", operations: [] }),
      "spec.importV4[0].operations",
      undefined,
    ],
    [
      "bad community",
      withRule({ action: "Accept", communities: { values: ["65536:1"] } }),
      "spec.importV4[0].communities.values[0]",
      undefined,
    ],
    [
      "two community values",
      withRule({ action: "Accept", communities: { values: ["1:1", "1:2"] } }),
      "spec.importV4[0].communities.values",
      undefined,
    ],
    [
      "priority 0",
      withRule({ action: "Accept", priority: 0 }),
      "spec.importV4[0].priority",
      undefined,
    ],
    [
      "setPriority too big",
      withRule({ action: "Accept", operations: [{ setPriority: { value: 2147483647 } }] }),
      "spec.importV4[0].operations[0].setPriority.value",
      undefined,
    ],
    [
      "bad peerType",
      withRule({ action: "Accept", peerType: "ebgp" }),
      "spec.importV4[0].peerType",
      "eBGP",
    ],
    [
      "bad source",
      withRule({ action: "Accept", source: "Local" }),
      "spec.importV4[0].source",
      undefined,
    ],
    [
      "bad interface",
      withRule({ action: "Accept", interface: "eth0; reject" }),
      "spec.importV4[0].interface",
      undefined,
    ],
    [
      "prepend of 11 ASes",
      withRule({
        action: "Accept",
        operations: [{ prependASPath: { prefix: Array(11).fill(1) } }],
      }),
      "spec.importV4[0].operations[0].prependASPath.prefix",
      undefined,
    ],
    [
      "bad AS in asPathPrefix",
      withRule({ action: "Accept", asPathPrefix: [-1] }),
      "spec.importV4[0].asPathPrefix[0]",
      undefined,
    ],
    ["no name", { metadata: {}, spec: {} }, "metadata.name", undefined],
    ["wrong kind", { kind: "BGPPeer", metadata: { name: "x" }, spec: {} }, "kind", undefined],
    [
      "rules not a list",
      { metadata: { name: "x" }, spec: { importV4: {} } },
      "spec.importV4",
      undefined,
    ],
    ["not an object", 42, "BGPFilter", undefined],
  ])("%s", (_name, input, path, suggestion) => {
    const e = err(input);
    expect(e.path).toBe(path);
    expect(e.suggestion).toBe(suggestion);
    expect(e.message.startsWith(`${path}: `)).toBe(true);
  });

  it("never throws anything but BgpFilterError, on any JSON", () => {
    const ruleish = fc.dictionary(
      fc.constantFrom(
        "cidr",
        "matchOperator",
        "prefixLength",
        "action",
        "operations",
        "communities",
        "asPathPrefix",
        "priority",
        "peerType",
        "source",
        "interface",
        "bogus",
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({
            metadata: fc.record({ name: fc.string() }),
            spec: fc.dictionary(fc.constantFrom("importV4", "exportV6", "x"), fc.array(ruleish)),
          }),
        ),
        (input) => {
          try {
            parseBgpFilter(input);
          } catch (e) {
            expect(e).toBeInstanceOf(BgpFilterError);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("values", () => {
  it("AS numbers: integer, decimal text, asdot", () => {
    expect(parseAsNumber(65000, "x")).toBe(65000);
    expect(parseAsNumber("4200000000", "x")).toBe(4200000000);
    expect(parseAsNumber("1.0", "x")).toBe(65536);
    expect(() => parseAsNumber(4294967296, "x")).toThrow(BgpFilterError);
    expect(() => parseAsNumber("1.65536", "x")).toThrow(BgpFilterError);
  });

  it("communities: standard and large", () => {
    expect(parseCommunity("65000:100", "x")).toEqual({
      kind: "standard",
      value: 65000 * 65536 + 100,
    });
    expect(parseCommunity("4200000000:1:2", "x")).toEqual({
      kind: "large",
      global: 4200000000,
      local1: 1,
      local2: 2,
    });
    for (const bad of ["1", "1:2:3:4", "a:b", "65536:0", "4294967296:0:0", ""])
      expect(() => parseCommunity(bad, "x")).toThrow(BgpFilterError);
  });
});
