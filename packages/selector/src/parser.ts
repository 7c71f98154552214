// Recursive-descent parser: tokens → AST (grammar in ast.ts).
import {
  and,
  normaliseValues,
  or,
  type SelectorNode,
  type SetNode,
  type StringOpNode,
} from "./ast.js";
import { SelectorParseError } from "./errors.js";
import { type Token, tokenize } from "./tokenizer.js";

/** Nesting deeper than this is refused (keeps hostile input from exhausting the stack). */
export const MAX_DEPTH = 256;

/** Parses selector text into its AST; throws {@link SelectorParseError}. Empty text is `all()`. */
export function parseAst(input: string): SelectorNode {
  const p = new Parser(input, tokenize(input));
  if (p.peek().kind === "eof") return { kind: "all" };
  const node = p.expr(0);
  p.expect("eof", ["&&", "||", "end of input"]);
  return node;
}

class Parser {
  private i = 0;
  constructor(
    private readonly input: string,
    private readonly toks: Token[],
  ) {}

  peek(offset = 0): Token {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.i++;
    return t;
  }

  fail(expected: readonly string[], t: Token = this.peek()): never {
    const found = t.kind === "eof" ? "end of input" : t.kind === "string" ? `"${t.text}"` : t.text;
    throw new SelectorParseError(this.input, t.pos, expected, found);
  }

  expect(kind: Token["kind"], expected: readonly string[]): Token {
    const t = this.peek();
    if (t.kind !== kind) this.fail(expected);
    return this.next();
  }

  private word(w: string): boolean {
    const t = this.peek();
    if (t.kind === "ident" && t.text === w) {
      this.i++;
      return true;
    }
    return false;
  }

  expr(depth: number): SelectorNode {
    if (depth > MAX_DEPTH) this.fail([`at most ${MAX_DEPTH} levels of nesting`]);
    const parts = [this.conj(depth)];
    while (this.peek().kind === "||") {
      this.next();
      parts.push(this.conj(depth));
    }
    return parts.length === 1 ? parts[0]! : or(...parts);
  }

  private conj(depth: number): SelectorNode {
    const parts = [this.unary(depth)];
    while (this.peek().kind === "&&") {
      this.next();
      parts.push(this.unary(depth));
    }
    return parts.length === 1 ? parts[0]! : and(...parts);
  }

  private unary(depth: number): SelectorNode {
    if (this.peek().kind === "!") {
      this.next();
      if (depth > MAX_DEPTH) this.fail([`at most ${MAX_DEPTH} levels of nesting`]);
      return { kind: "not", operand: this.unary(depth + 1) };
    }
    return this.atom(depth);
  }

  private atom(depth: number): SelectorNode {
    const t = this.peek();
    if (t.kind === "(") {
      this.next();
      const e = this.expr(depth + 1);
      this.expect(")", [")"]);
      return e;
    }
    if (t.kind !== "ident") this.fail(["(", "!", "all()", "global()", "has(", "a label key"]);
    // Function forms: only when "(" follows, so `has`, `all`, `global` stay usable as keys.
    if (this.peek(1).kind === "(" && (t.text === "all" || t.text === "global")) {
      this.i += 2;
      this.expect(")", [")"]);
      return { kind: t.text };
    }
    if (this.peek(1).kind === "(" && t.text === "has") {
      this.i += 2;
      const key = this.expect("ident", ["a label key"]).text;
      this.expect(")", [")"]);
      return { kind: "has", key };
    }
    const key = this.next().text;
    const op = this.peek();
    if (op.kind === "==" || op.kind === "!=") {
      this.next();
      const value = this.expect("string", ["a quoted string"]).text;
      return { kind: op.kind === "==" ? "eq" : "ne", key, value };
    }
    if (this.word("in")) return this.set("in", key);
    if (this.word("not")) {
      if (!this.word("in")) this.fail(["in"]);
      return this.set("notin", key);
    }
    if (this.word("contains")) return this.strOp("contains", key);
    if (this.word("starts")) {
      if (!this.word("with")) this.fail(["with"]);
      return this.strOp("startswith", key);
    }
    if (this.word("ends")) {
      if (!this.word("with")) this.fail(["with"]);
      return this.strOp("endswith", key);
    }
    return this.fail(["==", "!=", "in", "not in", "contains", "starts with", "ends with"]);
  }

  private strOp(kind: StringOpNode["kind"], key: string): StringOpNode {
    const value = this.expect("string", ["a quoted string"]).text;
    return { kind, key, value };
  }

  private set(kind: SetNode["kind"], key: string): SetNode {
    this.expect("{", ["{"]);
    const values: string[] = [];
    if (this.peek().kind === "}") {
      this.next();
      return { kind, key, values };
    }
    for (;;) {
      values.push(this.expect("string", ["a quoted string"]).text);
      const t = this.next();
      if (t.kind === "}") break;
      if (t.kind !== ",") this.fail([",", "}"], t);
    }
    return { kind, key, values: normaliseValues(values) };
  }
}
