// Typed errors of the selector language.

/** A selector's text does not parse: where, what was expected, what was found. */
export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
  constructor(
    /** The text that failed to parse. */
    readonly input: string,
    /** 0-based offset of the offending character in `input`. */
    readonly position: number,
    /** What the parser would have accepted there, e.g. `["==", "!=", "in"]`. */
    readonly expected: readonly string[],
    /** What it found (a token's text, or "end of input"). */
    readonly found: string,
  ) {
    super(
      `selector parse error at position ${position}: expected ${expected.join(" or ")}, found ${found}\n  ${input}\n  ${" ".repeat(position)}^`,
    );
  }
}

/** A selector cannot be written down (e.g. a value holding both quote characters). */
export class SelectorValueError extends Error {
  override readonly name = "SelectorValueError";
}
