import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPrefix } from "../wire/prefix.js";
import { ConfigError, parseOriginateConfig } from "./config.js";
import {
  canonicalV4,
  parseOriginateBatch,
  parsePrefixBatch,
  v4FromNumber,
  v4Text,
} from "./originate-batch.js";

const schemaAccepts = (prefix: string) => {
  try {
    parseOriginateConfig({ prefix });
    return true;
  } catch {
    return false;
  }
};

const issues = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error("accepted");
};

describe("canonicalV4: the fast path accepts only what the schema accepts", () => {
  it("reads canonical prefixes as address × 64 + length, round trip through text", () => {
    expect(canonicalV4("198.18.0.1/32")).toBe(0xc6120001 * 64 + 32);
    expect(canonicalV4("0.0.0.0/0")).toBe(0);
    expect(v4Text(canonicalV4("255.255.255.255/32"))).toBe("255.255.255.255/32");
    expect(formatPrefix(v4FromNumber(canonicalV4("198.51.100.64/26")))).toBe("198.51.100.64/26");
    for (const bad of [
      "198.51.100.1/26", // host bits
      "010.0.0.0/8", // leading zero
      "10.0.0.0/08",
      "256.0.0.0/8",
      "10.0.0/8",
      "10.0.0.0/33",
      "10.0.0.0",
      " 10.0.0.0/8",
      "10.0.0.0/8 ",
      "2001:db8::/32",
    ])
      expect(canonicalV4(bad), bad).toBe(-1);
  });

  it("any string accepted by the fast path is accepted by the schema, as the same prefix", () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom("00", "01", "007", ""),
    );
    const text = fc.oneof(
      fc
        .tuple(
          octet,
          octet,
          octet,
          octet,
          fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom("08", "")),
        )
        .map(([a, b, c, d, l]) => `${a}.${b}.${c}.${d}/${l}`),
      fc
        .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
        .map(([a, l]) => {
          const net = l === 0 ? 0 : Math.floor(a / 2 ** (32 - l)) * 2 ** (32 - l);
          return v4Text(net * 64 + l);
        }),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const v = canonicalV4(t);
        // Rejected strings go through the schema (which accepts or explains): only acceptance matters.
        if (v >= 0) {
          expect(schemaAccepts(t)).toBe(true);
          expect(v4Text(v)).toBe(t);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("parseOriginateBatch", () => {
  it("groups routes by attributes, each group validated once; IPv6 kept as prefixes", () => {
    const b = parseOriginateBatch([
      { prefix: "198.51.100.0/26" },
      { prefix: "198.51.100.64/26", med: 5 },
      { prefix: "203.0.113.0/24" },
      { prefix: "2001:db8:1::/48", med: 5 },
    ]);
    expect(b.size).toBe(4);
    expect(b.groups).toHaveLength(2);
    expect(b.groups[0]!.route).toMatchObject({ prefix: "198.51.100.0/26", origin: "igp" });
    expect(b.groups[0]!.v4.map(v4Text)).toEqual(["198.51.100.0/26", "203.0.113.0/24"]);
    expect(b.groups[1]!.route).toMatchObject({ med: 5 });
    expect(b.groups[1]!.v4.map(v4Text)).toEqual(["198.51.100.64/26"]);
    expect(b.groups[1]!.other.map(formatPrefix)).toEqual(["2001:db8:1::/48"]);
  });

  it("errors name the route's index and key, as the schema words them", () => {
    expect(
      issues(() =>
        parseOriginateBatch(
          [{ prefix: "198.51.100.0/26" }, { prefix: "198.51.100.1/26" }],
          "originate",
        ),
      ),
    ).toEqual([
      {
        path: "originate.1.prefix",
        message: "host bits set in 198.51.100.1/26 (did you mean 198.51.100.0/26?)",
      },
    ]);
    const typo = issues(() =>
      parseOriginateBatch([
        { prefix: "198.51.100.0/26" },
        { prefix: "198.51.100.64/26", communitys: [] } as never,
      ]),
    );
    expect(typo[0]!.path).toBe("1.communitys");
    expect(typo[0]!.message).toContain('did you mean "communities"?');
    expect(
      issues(() => parseOriginateBatch([{ prefix: "198.51.100.0/26" }, 7 as never]))[0]!.path,
    ).toBe("1");
    expect(
      issues(() =>
        parseOriginateBatch([
          { prefix: "198.51.100.0/26", med: 1 },
          { prefix: 5, med: 1 } as never,
        ]),
      )[0]!.path,
    ).toBe("1.prefix");
  });
});

describe("parsePrefixBatch", () => {
  it("one group: the attributes once, every prefix", () => {
    const b = parsePrefixBatch(["198.51.100.0/26", "2001:db8::/32"], { communities: ["65000:1"] });
    expect(b.size).toBe(2);
    expect(b.groups[0]!.route.communities).toEqual(["65000:1"]);
    expect(b.groups[0]!.v4.map(v4Text)).toEqual(["198.51.100.0/26"]);
    expect(b.groups[0]!.other.map(formatPrefix)).toEqual(["2001:db8::/32"]);
  });

  it("names the bad prefix by index, a bad attribute under attributes", () => {
    expect(
      issues(() => parsePrefixBatch(["198.51.100.0/26", "198.51.100.1/26"], {}))[0]!.path,
    ).toBe("prefixes.1");
    expect(issues(() => parsePrefixBatch(["198.51.100.0/26"], { med: -1 }))[0]!.path).toBe(
      "attributes.med",
    );
    expect(
      issues(() => parsePrefixBatch(["198.51.100.0/26"], { prefix: "x" } as never))[0]!.path,
    ).toBe("attributes.prefix");
  });
});
