// Compiles an AST into a closure once, so that evaluation never re-parses or
// walks the tree by kind. Semantics follow Calico (libcalico-go selector):
// `!=` and `not in` match when the label is absent; `==`, `in`, `contains`,
// `starts with`, `ends with` need it present.
import { NAMESPACE_LABEL, type SelectorNode } from "./ast.js";

/** Anything labels can be read from: a `Map`, or a {@link RecordLabels} wrapper. */
export interface LabelLookup {
  get(key: string): string | undefined;
}

/** Labels as a plain object or a map. */
export type Labels = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

/** Wraps a plain object as a {@link LabelLookup}, reading own properties only. */
export class RecordLabels implements LabelLookup {
  constructor(private readonly rec: Readonly<Record<string, string>>) {}
  get(key: string): string | undefined {
    return Object.hasOwn(this.rec, key) ? this.rec[key] : undefined;
  }
}

/** Turns {@link Labels} into a {@link LabelLookup} without copying. */
export function lookupOf(labels: Labels | LabelLookup): LabelLookup {
  if (labels instanceof Map || labels instanceof RecordLabels) return labels as LabelLookup;
  if (typeof (labels as LabelLookup).get === "function") return labels as LabelLookup;
  return new RecordLabels(labels as Readonly<Record<string, string>>);
}

/** A compiled selector: true when the labels match. */
export type Matcher = (labels: LabelLookup) => boolean;

const TRUE: Matcher = () => true;

/** Compiles an AST to a {@link Matcher}. */
export function compile(node: SelectorNode): Matcher {
  switch (node.kind) {
    case "all":
      return TRUE;
    case "global":
      return (l) => l.get(NAMESPACE_LABEL) === undefined;
    case "has": {
      const k = node.key;
      return (l) => l.get(k) !== undefined;
    }
    case "eq": {
      const { key, value } = node;
      return (l) => l.get(key) === value;
    }
    case "ne": {
      const { key, value } = node;
      return (l) => l.get(key) !== value;
    }
    case "in":
    case "notin": {
      const k = node.key;
      const want = node.kind === "in";
      if (node.values.length === 1) {
        const v = node.values[0]!;
        return want ? (l) => l.get(k) === v : (l) => l.get(k) !== v;
      }
      const set = new Set(node.values);
      return (l) => {
        const v = l.get(k);
        return v !== undefined && set.has(v) ? want : !want;
      };
    }
    case "contains": {
      const { key, value } = node;
      return (l) => l.get(key)?.includes(value) ?? false;
    }
    case "startswith": {
      const { key, value } = node;
      return (l) => l.get(key)?.startsWith(value) ?? false;
    }
    case "endswith": {
      const { key, value } = node;
      return (l) => l.get(key)?.endsWith(value) ?? false;
    }
    case "not": {
      const inner = compile(node.operand);
      return (l) => !inner(l);
    }
    case "and": {
      const fs = node.operands.map(compile);
      if (fs.length === 2) {
        const [f, g] = fs as [Matcher, Matcher];
        return (l) => f(l) && g(l);
      }
      return (l) => {
        for (const f of fs) if (!f(l)) return false;
        return true;
      };
    }
    case "or": {
      const fs = node.operands.map(compile);
      return (l) => {
        for (const f of fs) if (f(l)) return true;
        return false;
      };
    }
  }
}

/**
 * A label requirement every match must satisfy, for indexing: a key=value
 * pair (`k == "v"`, `k in {"v"}`), or a key that must be present (`has(k)`,
 * `in`, string operators), or nothing usable.
 */
export type Requirement =
  | { readonly kind: "eq"; readonly key: string; readonly value: string }
  | { readonly kind: "has"; readonly key: string }
  | { readonly kind: "none" };

/** The strongest {@link Requirement} implied by a selector (eq beats has beats none). */
export function requirement(node: SelectorNode): Requirement {
  switch (node.kind) {
    case "eq":
      return { kind: "eq", key: node.key, value: node.value };
    case "in":
      return node.values.length === 1
        ? { kind: "eq", key: node.key, value: node.values[0]! }
        : { kind: "has", key: node.key };
    case "has":
    case "contains":
    case "startswith":
    case "endswith":
      return { kind: "has", key: node.key };
    case "and": {
      let best: Requirement = { kind: "none" };
      for (const o of node.operands) {
        const r = requirement(o);
        if (r.kind === "eq") return r;
        if (r.kind === "has" && best.kind === "none") best = r;
      }
      return best;
    }
    default:
      return { kind: "none" };
  }
}
