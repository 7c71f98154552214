// The public face of a selector: parsed once, compiled once, printed canonically.
import { mapKeys, type SelectorNode } from "./ast.js";
import { compile, type LabelLookup, type Labels, lookupOf, type Matcher } from "./compile.js";
import { stableHash } from "./hash.js";
import { parseAst } from "./parser.js";
import { print } from "./print.js";

/**
 * A parsed, compiled selector. Create with {@link parseSelector} or
 * {@link Selector.fromAst}; `evaluate` runs the compiled closure.
 */
export class Selector {
  /** Canonical text (see print.ts); parsing it gives an equal selector. */
  readonly text: string;
  /** Stable id: a hash of the canonical text (16 hex digits). */
  readonly id: string;
  private readonly matcher: Matcher;

  private constructor(
    /** The AST. */
    readonly ast: SelectorNode,
  ) {
    this.text = print(ast);
    this.id = stableHash(this.text);
    this.matcher = compile(ast);
  }

  /** Wraps an AST (built by hand or by a conversion) as a selector. */
  static fromAst(ast: SelectorNode): Selector {
    return new Selector(ast);
  }

  /** True when the labels match. Accepts a plain object, a Map, or any `{get(k)}`. */
  evaluate(labels: Labels | LabelLookup): boolean {
    return this.matcher(lookupOf(labels));
  }

  /** The compiled matcher itself, for hot loops that already hold a {@link LabelLookup}. */
  get match(): Matcher {
    return this.matcher;
  }

  /** Canonical text. */
  toString(): string {
    return this.text;
  }

  /** A copy whose label keys are rewritten by `fn` (e.g. to add Calico's `pcns.` prefix). */
  mapKeys(fn: (key: string) => string): Selector {
    return new Selector(mapKeys(this.ast, fn));
  }

  /** True when both have the same canonical text. */
  equals(other: Selector): boolean {
    return this.text === other.text;
  }
}

/**
 * Parses Calico selector text. Throws {@link SelectorParseError} with the
 * position and what was expected there. Empty (or blank) text means `all()`.
 *
 * ```ts
 * parseSelector('app == "web" && tier in {"a", "b"}').evaluate({ app: "web", tier: "a" }); // true
 * ```
 */
export function parseSelector(text: string): Selector {
  return Selector.fromAst(parseAst(text));
}
