// Tokenizer for Calico's selector language. Keywords (`in`, `not`, `has`, …)
// are not reserved here: they come out as identifiers and the parser treats
// them by position, so a label may be called `in` or `has`.
import { SelectorParseError } from "./errors.js";

/** Token kinds. */
export type TokenKind =
  | "ident"
  | "string"
  | "=="
  | "!="
  | "!"
  | "&&"
  | "||"
  | "("
  | ")"
  | "{"
  | "}"
  | ","
  | "eof";

/** One token: its kind, text (a string's value without quotes) and offset. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

/**
 * Characters of a label key: Kubernetes allows `[A-Za-z0-9]`, `-`, `_`, `.`
 * in names and a DNS-subdomain prefix before one `/` (k8s.io
 * apimachinery `validation.IsQualifiedName`).
 */
const KEY_START = /[A-Za-z0-9_]/;
const KEY_CHAR = /[A-Za-z0-9_.\-/]/;

/** Splits `input` into tokens; throws {@link SelectorParseError} on a stray character. */
export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "&&" || two === "||") {
      out.push({ kind: two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === "!" || c === "(" || c === ")" || c === "{" || c === "}" || c === ",") {
      out.push({ kind: c, text: c, pos: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = input.indexOf(c, i + 1);
      if (end < 0) throw new SelectorParseError(input, i, [`closing ${c}`], "end of input");
      out.push({ kind: "string", text: input.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (KEY_START.test(c)) {
      let j = i + 1;
      while (j < n && KEY_CHAR.test(input[j]!)) j++;
      out.push({ kind: "ident", text: input.slice(i, j), pos: i });
      i = j;
      continue;
    }
    throw new SelectorParseError(input, i, ["a label key", "an operator", "a string"], `"${c}"`);
  }
  out.push({ kind: "eof", text: "", pos: n });
  return out;
}
