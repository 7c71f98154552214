// "Did you mean …?": the valid name closest to a misspelt one (edit distance,
// with a containment bonus so that `md5Password` finds `password`).
// Pure.

/** Levenshtein distance between two strings (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * The candidate closest to `name`, or undefined when none is close: a
 * candidate contained in the name (or containing it) wins; otherwise the
 * smallest edit distance, if at most a third of the longer name.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const contained = candidates
    .filter(
      (c) => c.length >= 3 && (lower.includes(c.toLowerCase()) || c.toLowerCase().includes(lower)),
    )
    .sort((a, b) => b.length - a.length);
  if (contained.length) return contained[0];
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined &&
    bestD <= Math.max(2, Math.ceil(Math.max(name.length, best.length) / 3))
    ? best
    : undefined;
}
