// The typed error of BGPFilter validation, with the path of the offending
// field and, for a misspelled key, the closest valid name.

/** A BGPFilter that does not validate. */
export class BgpFilterError extends Error {
  /** Path of the offending field, e.g. `spec.importV4[2].matchOperator`. */
  readonly path: string;
  /** For an unknown key, the closest valid key name. */
  readonly suggestion: string | undefined;

  /** Creates the error. */
  constructor(path: string, message: string, suggestion?: string) {
    super(`${path}: ${message}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`);
    this.name = "BgpFilterError";
    this.path = path;
    this.suggestion = suggestion;
  }
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) =>
    Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[n]![m]!;
}

/** The closest of `names` to `word` (case-insensitive), if plausibly a typo. */
export function closestName(word: string, names: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.min(4, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const dist = editDistance(word.toLowerCase(), n.toLowerCase());
    if (dist < bestD) {
      bestD = dist;
      best = n;
    }
  }
  return bestD <= limit ? best : undefined;
}
