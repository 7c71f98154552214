/**
 * @tortie/selector — Calico's label selector language.
 *
 * Files:
 * - `ast.ts`         the AST (discriminated union), the grammar, builders, `mapKeys`.
 * - `tokenizer.ts`   text → tokens (keywords are contextual, so any label key works).
 * - `parser.ts`      tokens → AST, errors with position and what was expected.
 * - `print.ts`       AST → canonical text (round-trips through the parser).
 * - `hash.ts`        stable 64-bit id of canonical text.
 * - `compile.ts`     AST → closure (Calico semantics), index requirements.
 * - `selector.ts`    `Selector` and `parseSelector(text).evaluate(labels)`.
 * - `k8s.ts`         Kubernetes LabelSelector → selector, as Calico converts it.
 * - `label-index.ts` incremental "which items match which selectors" index.
 * - `errors.ts`      typed errors.
 */

export type {
  AllNode,
  CompareNode,
  GlobalNode,
  HasNode,
  JunctionNode,
  NotNode,
  SelectorNode,
  SetNode,
  StringOpNode,
} from "./ast.js";
export { and, mapKeys, NAMESPACE_LABEL, normaliseValues, or } from "./ast.js";
export type { LabelLookup, Labels, Matcher, Requirement } from "./compile.js";
export { compile, lookupOf, RecordLabels, requirement } from "./compile.js";
export { SelectorParseError, SelectorValueError } from "./errors.js";
export { stableHash } from "./hash.js";
export type { LabelSelector, LabelSelectorRequirement } from "./k8s.js";
export { fromLabelSelector, LabelSelectorError, labelSelectorAst } from "./k8s.js";
export type { LabelIndexListener } from "./label-index.js";
export { LabelIndex } from "./label-index.js";
export { MAX_DEPTH, parseAst } from "./parser.js";
export { print, quote } from "./print.js";
export { parseSelector, Selector } from "./selector.js";
export type { Token, TokenKind } from "./tokenizer.js";
export { tokenize } from "./tokenizer.js";
