import { describe, expect, it } from "vitest";
import { SelectorParseError } from "./errors.js";
import { parseAst } from "./parser.js";
import { print } from "./print.js";
import { parseSelector } from "./selector.js";

describe("parser and canonical form", () => {
  // input → canonical text
  const cases: [string, string][] = [
    ["", "all()"],
    ["  all( ) ", "all()"],
    ["global()", "global()"],
    ["has(app)", "has(app)"],
    ["!has(app)", "!has(app)"],
    ["app=='web'", 'app == "web"'],
    ['app != "web"', 'app != "web"'],
    ["k in {'b','a','b'}", 'k in {"a", "b"}'],
    ["k in {}", "k in {}"],
    ['k not in {"x"}', 'k not in {"x"}'],
    ["k contains 'o\"k'", "k contains 'o\"k'"],
    ['k starts with "pre"', 'k starts with "pre"'],
    ['k ends with "suf"', 'k ends with "suf"'],
    ['a == "1" && b == "2" && c == "3"', 'a == "1" && b == "2" && c == "3"'],
    ['a == "1" && (b == "2" && c == "3")', 'a == "1" && b == "2" && c == "3"'],
    ['a == "1" || b == "2" && c == "3"', 'a == "1" || b == "2" && c == "3"'],
    ['(a == "1" || b == "2") && c == "3"', '(a == "1" || b == "2") && c == "3"'],
    ['!(a == "1" && b == "2")', '!(a == "1" && b == "2")'],
    ['!!a == "1"', '!!a == "1"'],
    ["((has(x)))", "has(x)"],
    // Kubernetes-style keys with prefixes and every allowed character.
    [
      'app.kubernetes.io/name == "web" && projectcalico.org/namespace == "ns-1"',
      'app.kubernetes.io/name == "web" && projectcalico.org/namespace == "ns-1"',
    ],
    ["has(a_b-c.d/E_9)", "has(a_b-c.d/E_9)"],
    // Keywords are contextual: labels may be called in, has, all, not.
    ['in == "x" && has == "y" && not in {"z"}', 'in == "x" && has == "y" && not in {"z"}'],
    ["has(has)", "has(has)"],
  ];
  for (const [input, canonical] of cases) {
    it(`${JSON.stringify(input)} → ${canonical}`, () => {
      const s = parseSelector(input);
      expect(s.toString()).toBe(canonical);
      // round trip: the canonical text parses to the same AST and text
      expect(parseAst(canonical)).toEqual(s.ast);
      expect(print(parseAst(canonical))).toBe(canonical);
      expect(parseSelector(canonical).id).toBe(s.id);
    });
  }

  it("gives equal ids to equal canonical forms and different ids otherwise", () => {
    expect(parseSelector("a=='1'").id).toBe(parseSelector('a == "1"').id);
    expect(parseSelector("a=='1'").id).not.toBe(parseSelector('a == "2"').id);
    expect(parseSelector("a=='1'").id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("parse errors carry position and expectation", () => {
  const bad: [string, number, string][] = [
    ["a ==", 4, "a quoted string"],
    ["a == b", 5, "a quoted string"],
    ["a", 1, "=="],
    ["a in {'x' 'y'}", 10, ","],
    ["a in 'x'", 5, "{"],
    ["has(a", 5, ")"],
    ["(a == 'x'", 9, ")"],
    ["a == 'x' &&", 11, "a label key"],
    ["a == 'x' b", 9, "&&"],
    ["a not 'x'", 6, "in"],
    ["a starts 'x'", 9, "with"],
    ["a == 'x", 5, "closing '"],
    ["a == 'x' & b", 9, "an operator"],
    ["$a == 'x'", 0, "a label key"],
    ["all(x)", 4, ")"],
  ];
  for (const [input, pos, expected] of bad) {
    it(`${JSON.stringify(input)} fails at ${pos} expecting ${expected}`, () => {
      let err: unknown;
      try {
        parseSelector(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SelectorParseError);
      const pe = err as SelectorParseError;
      expect(pe.position).toBe(pos);
      expect(pe.expected).toContain(expected);
      expect(pe.message).toContain(`position ${pos}`);
    });
  }

  it("refuses absurd nesting with a parse error, not a stack overflow", () => {
    expect(() => parseSelector(`${"(".repeat(5000)}has(a)${")".repeat(5000)}`)).toThrow(
      SelectorParseError,
    );
    expect(() => parseSelector(`${"!".repeat(5000)}has(a)`)).toThrow(SelectorParseError);
  });
});
