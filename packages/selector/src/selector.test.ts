import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SelectorNode } from "./ast.js";
import { SelectorParseError } from "./errors.js";
import { parseAst } from "./parser.js";
import { print } from "./print.js";
import { parseSelector, Selector } from "./selector.js";

describe("evaluation follows Calico's semantics", () => {
  const labels = { app: "web", tier: "frontend", "projectcalico.org/namespace": "prod" };
  // selector → expected result against `labels`
  const cases: [string, boolean][] = [
    ["all()", true],
    ["global()", false],
    ["has(app)", true],
    ["has(missing)", false],
    ["!has(missing)", true],
    ['app == "web"', true],
    ['app == "db"', false],
    ['missing == ""', false],
    ['app != "db"', true],
    ['missing != "x"', true], // != matches an absent label
    ['tier in {"backend", "frontend"}', true],
    ['tier in {"backend"}', false],
    ['missing in {"x"}', false],
    ['tier not in {"backend"}', true],
    ['missing not in {"x"}', true], // not in matches an absent label
    ["tier in {}", false],
    ["tier not in {}", true],
    ['tier contains "ont"', true],
    ['missing contains ""', false],
    ['tier starts with "front"', true],
    ['tier ends with "end"', true],
    ['tier ends with "front"', false],
    ['app == "web" && tier == "frontend"', true],
    ['app == "web" && tier == "backend"', false],
    ['app == "db" || tier == "frontend"', true],
    ['!(app == "db" || tier == "backend")', true],
    ['projectcalico.org/namespace == "prod"', true],
  ];
  for (const [sel, want] of cases) {
    it(`${sel} → ${want}`, () => {
      const s = parseSelector(sel);
      expect(s.evaluate(labels)).toBe(want);
      expect(s.evaluate(new Map(Object.entries(labels)))).toBe(want);
    });
  }

  it("global() matches labels without a namespace", () => {
    expect(parseSelector("global()").evaluate({ a: "b" })).toBe(true);
  });

  it("reads own properties only", () => {
    expect(parseSelector("has(constructor)").evaluate({})).toBe(false);
    expect(parseSelector('toString == "x"').evaluate({})).toBe(false);
  });

  it("mapKeys rewrites every key", () => {
    const s = parseSelector('a == "1" && has(b) || c in {"x"}').mapKeys((k) => `pcns.${k}`);
    expect(s.text).toBe('pcns.a == "1" && has(pcns.b) || pcns.c in {"x"}');
    expect(s.evaluate({ "pcns.c": "x" })).toBe(true);
  });
});

// Arbitrary ASTs, for property tests.
const key = fc.stringMatching(/^[a-z0-9_][a-z0-9_.\-/]{0,6}$/);
const value = fc.oneof(
  fc.stringMatching(/^[a-z0-9 '_.-]{0,5}$/),
  fc.stringMatching(/^[a-z"]{0,3}$/),
);
const leaf: fc.Arbitrary<SelectorNode> = fc.oneof(
  fc.constant({ kind: "all" } as const),
  fc.constant({ kind: "global" } as const),
  key.map((k) => ({ kind: "has", key: k }) as const),
  fc.record({ kind: fc.constantFrom("eq", "ne"), key, value }),
  fc.record({
    kind: fc.constantFrom("in", "notin"),
    key,
    values: fc.uniqueArray(value, { maxLength: 3 }).map((v) => [...v].sort()),
  }),
  fc.record({ kind: fc.constantFrom("contains", "startswith", "endswith"), key, value }),
);
const tree = fc.letrec<{ node: SelectorNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    tie("node").map((operand) => ({ kind: "not", operand }) as const),
    fc
      .tuple(fc.constantFrom("and", "or"), fc.array(tie("node"), { minLength: 2, maxLength: 3 }))
      .map(([kind, ops]) => ({
        kind,
        operands: ops.flatMap((o) => (o.kind === kind ? o.operands : [o])),
      })) as fc.Arbitrary<SelectorNode>,
  ),
})).node;

// Reference interpreter: walks the tree, for comparison with the compiled closures.
function interp(n: SelectorNode, l: Record<string, string>): boolean {
  const get = (k: string) => (Object.hasOwn(l, k) ? l[k] : undefined);
  switch (n.kind) {
    case "all":
      return true;
    case "global":
      return get("projectcalico.org/namespace") === undefined;
    case "has":
      return get(n.key) !== undefined;
    case "eq":
      return get(n.key) === n.value;
    case "ne":
      return get(n.key) !== n.value;
    case "in":
      return n.values.includes(get(n.key) as string);
    case "notin":
      return !n.values.includes(get(n.key) as string);
    case "contains":
      return get(n.key)?.includes(n.value) ?? false;
    case "startswith":
      return get(n.key)?.startsWith(n.value) ?? false;
    case "endswith":
      return get(n.key)?.endsWith(n.value) ?? false;
    case "not":
      return !interp(n.operand, l);
    case "and":
      return n.operands.every((o) => interp(o, l));
    case "or":
      return n.operands.some((o) => interp(o, l));
  }
}

describe("properties", () => {
  it("print → parse round-trips every AST", () => {
    fc.assert(
      fc.property(tree, (ast) => {
        const text = print(ast);
        expect(parseAst(text)).toEqual(ast);
        expect(print(parseAst(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it("compiled evaluation equals the reference interpreter", () => {
    const labels = fc.dictionary(key, value, { maxKeys: 4 });
    fc.assert(
      fc.property(tree, labels, (ast, l) => {
        expect(Selector.fromAst(ast).evaluate(l)).toBe(interp(ast, l));
      }),
      { numRuns: 1000 },
    );
  });

  it("parsing any text returns a selector or throws SelectorParseError, never anything else", () => {
    const alphabet = fc.constantFrom(
      ..."ab =!&|(){},'\"in not has all() contains starts with".split(""),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 40 }).map((a) => a.join("")),
        ),
        (s) => {
          try {
            const sel = parseSelector(s);
            expect(parseSelector(sel.text).text).toBe(sel.text);
          } catch (e) {
            expect(e).toBeInstanceOf(SelectorParseError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
