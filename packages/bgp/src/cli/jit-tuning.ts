// V8 tuning for the `tortie-bgp` process: `tuneJit()` is the first thing
// tortie-bgp.ts runs (never the library: its process is its user's). A
// function call and not an import for its side effect, because the package
// is `"sideEffects": false` and a bundler drops such an import.
//
// V8 optimises a function once it has spent an "interrupt budget" of
// bytecode since its last tier-up (default 66 KiB in Node 20's V8 11.3).
// A full table arriving at a fresh daemon changes shape as it goes — first
// new destinations only, then second paths, then shared path lists — so
// the receive path was optimised early, thrown away at each new shape
// (deoptimised) and compiled again: ten feeders × 100,000 prefixes cost
// 62–68 TurboFan compiles in the first 0.4 s, on threads that compete with
// the feeders for the same cores. Four times the budget lets the feedback
// settle first: 36–38 compiles, 5–12 % less CPU in process and 4–7 % in
// the benchmark against BIRD (docs/benchmarks/bgp-ingest.md, table 18).
import { setFlagsFromString } from "node:v8";

/** The flags set: four times V8's default interrupt budget. */
export const JIT_FLAGS = "--interrupt-budget=270336";

/** Sets {@link JIT_FLAGS}; call before the speaker's code runs. */
export function tuneJit(): void {
  setFlagsFromString(JIT_FLAGS);
}
