// "Did you mean …?" for flags, keys and kinds: the closest valid word by edit
// distance, offered only when it is plausibly a typo of the word given.
import { distance } from "fastest-levenshtein";

/** The valid word closest to `word`, or undefined when none is close. */
export function closest(word: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const v of valid) {
    const d = distance(w, v.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  // A third of the word's length (at least 2 edits) separates typos from other words.
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
