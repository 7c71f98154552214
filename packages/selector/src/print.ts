// The canonical text of a selector: `parseAst(print(ast))` equals `ast`.
//
// Rules: double quotes unless the value holds a `"` (then single quotes);
// `in {…}` values sorted and deduplicated; ` && ` / ` || ` with one space;
// parentheses only where precedence needs them (an `or` inside an `and` or
// under `!`, an `and` under `!`).
import type { SelectorNode } from "./ast.js";
import { SelectorValueError } from "./errors.js";

/** Quotes a string value, choosing the quote character it does not contain. */
export function quote(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  throw new SelectorValueError(
    `a selector value cannot hold both quote characters: ${JSON.stringify(value)}`,
  );
}

/** Canonical text of a selector AST. */
export function print(node: SelectorNode): string {
  switch (node.kind) {
    case "all":
      return "all()";
    case "global":
      return "global()";
    case "has":
      return `has(${node.key})`;
    case "eq":
      return `${node.key} == ${quote(node.value)}`;
    case "ne":
      return `${node.key} != ${quote(node.value)}`;
    case "in":
      return `${node.key} in {${node.values.map(quote).join(", ")}}`;
    case "notin":
      return `${node.key} not in {${node.values.map(quote).join(", ")}}`;
    case "contains":
      return `${node.key} contains ${quote(node.value)}`;
    case "startswith":
      return `${node.key} starts with ${quote(node.value)}`;
    case "endswith":
      return `${node.key} ends with ${quote(node.value)}`;
    case "not": {
      const o = node.operand;
      const inner = print(o);
      return o.kind === "and" || o.kind === "or" ? `!(${inner})` : `!${inner}`;
    }
    case "and":
      return node.operands.map((o) => (o.kind === "or" ? `(${print(o)})` : print(o))).join(" && ");
    case "or":
      return node.operands.map(print).join(" || ");
  }
}
