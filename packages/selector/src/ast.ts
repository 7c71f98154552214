// The selector AST: a discriminated union of readonly plain objects.
//
// The grammar (Calico's selector language, libcalico-go `lib/selector`):
//
//   expr     := or
//   or       := and ( "||" and )*
//   and      := unary ( "&&" unary )*
//   unary    := "!" unary | atom
//   atom     := "(" expr ")" | "all()" | "global()" | "has(" key ")"
//             | key "==" str | key "!=" str
//             | key "in" "{" [ str ( "," str )* ] "}"
//             | key "not" "in" "{" … "}"
//             | key "contains" str | key "starts" "with" str | key "ends" "with" str
//   str      := '"' [^"]* '"' | "'" [^']* "'"
//
// `&&` binds tighter than `||`; `!` binds tightest. `and`/`or` nodes are n-ary
// and flattened (`a && (b && c)` is one node with three operands).

/** Matches every label set. */
export interface AllNode {
  readonly kind: "all";
}
/** Matches resources outside any namespace (no `projectcalico.org/namespace` label). */
export interface GlobalNode {
  readonly kind: "global";
}
/** `has(key)`: the label is present, whatever its value. */
export interface HasNode {
  readonly kind: "has";
  readonly key: string;
}
/** `key == "v"` (label present and equal) and `key != "v"` (absent or different). */
export interface CompareNode {
  readonly kind: "eq" | "ne";
  readonly key: string;
  readonly value: string;
}
/** `key in {…}` (present and one of) and `key not in {…}` (absent or none of). */
export interface SetNode {
  readonly kind: "in" | "notin";
  readonly key: string;
  /** Sorted, without duplicates (the parser normalises). */
  readonly values: readonly string[];
}
/** `key contains "s"`, `key starts with "s"`, `key ends with "s"` (label must be present). */
export interface StringOpNode {
  readonly kind: "contains" | "startswith" | "endswith";
  readonly key: string;
  readonly value: string;
}
/** `!expr`. */
export interface NotNode {
  readonly kind: "not";
  readonly operand: SelectorNode;
}
/** `a && b && …` or `a || b || …` (two or more operands, none of the same kind). */
export interface JunctionNode {
  readonly kind: "and" | "or";
  readonly operands: readonly SelectorNode[];
}

/** Any node of a parsed selector. */
export type SelectorNode =
  | AllNode
  | GlobalNode
  | HasNode
  | CompareNode
  | SetNode
  | StringOpNode
  | NotNode
  | JunctionNode;

/** The label Calico gives every namespaced resource; `global()` matches its absence. */
export const NAMESPACE_LABEL = "projectcalico.org/namespace";

/** Builds an `and` node, flattening nested `and`s; one operand is returned as is, none is `all()`. */
export function and(...operands: SelectorNode[]): SelectorNode {
  const flat: SelectorNode[] = [];
  for (const o of operands) {
    if (o.kind === "and") flat.push(...o.operands);
    else flat.push(o);
  }
  if (flat.length === 0) return { kind: "all" };
  if (flat.length === 1) return flat[0]!;
  return { kind: "and", operands: flat };
}

/** Builds an `or` node, flattening nested `or`s; one operand is returned as is. */
export function or(...operands: SelectorNode[]): SelectorNode {
  const flat: SelectorNode[] = [];
  for (const o of operands) {
    if (o.kind === "or") flat.push(...o.operands);
    else flat.push(o);
  }
  if (flat.length === 0) throw new RangeError("or() needs at least one operand");
  if (flat.length === 1) return flat[0]!;
  return { kind: "or", operands: flat };
}

/** Sorted, deduplicated copy of a value list (the canonical order of `in {…}`). */
export function normaliseValues(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Rewrites every label key in a tree (`has`, comparisons, sets, string ops).
 * Calico uses this to turn a namespaceSelector into a selector over the
 * `pcns.`-prefixed namespace labels that every endpoint carries.
 */
export function mapKeys(node: SelectorNode, fn: (key: string) => string): SelectorNode {
  switch (node.kind) {
    case "all":
    case "global":
      return node;
    case "not":
      return { kind: "not", operand: mapKeys(node.operand, fn) };
    case "and":
    case "or":
      return { kind: node.kind, operands: node.operands.map((o) => mapKeys(o, fn)) };
    default:
      return { ...node, key: fn(node.key) };
  }
}
