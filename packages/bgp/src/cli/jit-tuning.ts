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
//
// One helper thread for V8. By default Node gives V8 a pool of four
// threads to compile and collect garbage on beside the main one. BIRD is
// one thread; with four helpers, a daemon fed a full table on a two-core
// node kept three threads runnable and took CPU from whoever else ran
// there: the BIRD feeder of the ingest benchmark waited 58–141 ms for a
// core in a 750 ms window (9–23 ms with BIRD receiving) and the daemon's
// wall was 1.02–1.04× BIRD's (docs/benchmarks/bgp-ingest.md, table 20).
// `--single-threaded` (no helper: every compile and collection on the main
// thread), this daemon's flag until table 24, fixed that but made every
// TurboFan compile a pause of the main thread: advertising 100,000 routes
// to a BIRD, whose receiving leaves a core free, took 0.96–1.44× BIRD's
// time (six sets of 3), against 0.70× with Node's four helpers.
// `--v8-pool-size=1` keeps one helper: compiles run beside the main
// thread, and V8 never runs on more than two threads. Ten feeders ×
// 100,000: 0.85× BIRD (15 runs; single-threaded 0.87×, four helpers
// 0.92×); advertising 100,000: 0.63–0.87× in seven sets of eight; one
// feeder × 1,000,000 stays at BIRD's time, which the feeder sets (1.03×
// against 0.99×) (table 24). V8 takes the pool's
// size only when the process starts, so `run` re-executes the daemon once
// with it — same PID, same file descriptors — unless
// TORTIE_BGP_V8_THREADS=default keeps Node's pool (`reexecArgv` decides;
// reexec.ts is the execve). The re-executed process carries
// TORTIE_BGP_REEXECUTED=1, so that a Node that did not keep the flag
// cannot make it loop.
//
// TurboFan compiles on the main thread (`--no-concurrent-recompilation`),
// the helper kept for the garbage collector. With the compiles on the
// helper, the daemon's CPU in an ingest window was larger by about what the
// helper used — 80–100 ms for one feeder × 1,000,000 prefixes, 35 compiles
// and 129 ms of compile time, the largest #grow's loop (21.6 ms), decodeUpdate
// (27.5) and update (17.0) — while compiled in place they cost the main
// thread ~20 ms more. Alternating (table 25), with the warm-up of
// warm-up.ts: ten feeders × 100,000, CPU 455 → 365 ms and 0.85× → 0.75×
// BIRD's wall (10 runs each); one feeder × 1,000,000, CPU 625 → 510 ms and
// the feeder's wait for a CPU 55 → 23 ms (12 runs each). The price is in a
// cold export, whose compiles now pause it: advertising 100,000 routes to a
// BIRD took 66–74 → 76–87 ms in two alternations (BIRD 86–108), which the
// warm-up keeps from being 97.
//
// A starting heap sized for a daemon. V8 starts a process with an
// old-generation limit of a few MB and marks the whole heap each time it is
// reached while the heap grows: a fresh daemon taking a full table did one
// incremental mark-compact in the first 0.3 s (~12 ms of marking, with the
// write barriers slowing everything else while it ran), for a heap that
// grows to tens of MB anyway. `--initial-old-space-size=64` is a limit, not
// a reservation (memory is taken as the heap grows): ten feeders × 100,000
// prefixes took 9 % less CPU in process with it, one feeder × 1,000,000
// 8 % less, for 2–7 MiB more peak RSS (docs/benchmarks/bgp-ingest.md,
// table 21). It comes with the re-execution above (both are start-up
// flags); TORTIE_BGP_V8_THREADS=default runs as Node starts, without either.
import { setFlagsFromString } from "node:v8";
import { closest } from "../speaker/suggest.js";

/** The flags set: four times V8's default interrupt budget. */
export const JIT_FLAGS = "--interrupt-budget=270336";

/** Sets {@link JIT_FLAGS}; call before the speaker's code runs. */
export function tuneJit(): void {
  setFlagsFromString(JIT_FLAGS);
}

/** Node flags the daemon's process must start with: one helper thread for V8, a daemon's starting heap, compiles on the main thread (see the header). */
export const V8_PROCESS_FLAGS: readonly string[] = [
  "--v8-pool-size=1",
  "--initial-old-space-size=64",
  "--no-concurrent-recompilation",
];

/** The environment variable that chooses V8's threads: `one` (the default) or `default`. */
export const V8_THREADS_ENV = "TORTIE_BGP_V8_THREADS";

/** Set in the re-executed daemon's environment: it never re-executes again. */
export const REEXECUTED_ENV = "TORTIE_BGP_REEXECUTED";

/** A {@link V8_THREADS_ENV} value that is neither `one` nor `default`. */
export class V8ThreadsSettingError extends Error {
  override readonly name = "V8ThreadsSettingError";
  constructor(readonly value: string) {
    const near = closest(value, ["one", "default"]);
    super(
      `${V8_THREADS_ENV}=${value} is not a setting${near ? ` (did you mean "${near}"?)` : ""}; settings: one (the default), default`,
    );
  }
}

/**
 * The command line to re-execute the daemon with so that it runs with
 * {@link V8_PROCESS_FLAGS}: Node's own flags after them, then the script
 * and its arguments. Undefined when the process already has them, was
 * re-executed already, or `TORTIE_BGP_V8_THREADS=default`; throws {@link V8ThreadsSettingError}
 * for any other value than `one`, `default` or unset.
 */
export function reexecArgv(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string[] | undefined {
  const setting = env[V8_THREADS_ENV];
  if (setting !== undefined && setting !== "one" && setting !== "default")
    throw new V8ThreadsSettingError(setting);
  if (setting === "default" || env[REEXECUTED_ENV] !== undefined) return undefined;
  const missing = V8_PROCESS_FLAGS.filter((f) => !execArgv.includes(f));
  return missing.length ? [execPath, ...missing, ...execArgv, ...argv.slice(1)] : undefined;
}
