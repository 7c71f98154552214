// Benchmark prefixes. 198.18.0.0/15 (RFC 2544) holds 131,072 /32s and only
// 262,143 distinct prefixes of every length, so a million distinct IPv4
// prefixes cannot fit in it: after its 131,072 /32s come /24s from
// 198.20.0.0 upwards (the same set as bench/rib-ingest.ts). Up to 131,072
// prefixes stay inside 198.18.0.0/15. None of them is ever installed in a
// kernel table: every receiver here keeps them in its BGP tables only.

/** How many /32s 198.18.0.0/15 holds. */
export const INSIDE_BENCHMARK_RANGE = 131_072;

/** The i-th benchmark prefix as text: /32s of 198.18.0.0/15, then /24s from 198.20.0.0. */
export function benchPrefix(i: number): string {
  const a =
    i < INSIDE_BENCHMARK_RANGE ? 0xc6120000 + i : 0xc6140000 + (i - INSIDE_BENCHMARK_RANGE) * 256;
  const len = i < INSIDE_BENCHMARK_RANGE ? 32 : 24;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
}

/** The first `n` benchmark prefixes. */
export function benchPrefixes(n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = benchPrefix(i);
  return out;
}

/** One line saying where `n` prefixes come from, for the printed report. */
export function describePrefixes(n: number): string {
  if (n <= INSIDE_BENCHMARK_RANGE) return `${n.toLocaleString("en-US")} /32s of 198.18.0.0/15`;
  const last = benchPrefix(n - 1);
  return `131,072 /32s of 198.18.0.0/15, then ${(n - INSIDE_BENCHMARK_RANGE).toLocaleString("en-US")} /24s 198.20.0.0/24 … ${last} (198.18.0.0/15 holds only 262,143 distinct prefixes)`;
}
