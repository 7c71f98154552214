/**
 * Timer jitter (RFC 4271 §10): "jitter SHOULD be applied to the timers
 * associated with ... KeepaliveTime ... and ConnectRetryTime", multiplying the
 * base value by a factor uniformly distributed in [0.75, 1.0], picked anew
 * each time the timer is set.
 *
 * The FSM stays pure and replayable: the factor is a hash of a per-peer seed,
 * the clock value and the timer, not `Math.random()`. Opt in with
 * `FsmOptions.jitter`; give each peer its own `jitterSeed` (e.g. a hash of its
 * address) so that peers started together drift apart.
 */
import type { FsmConfig } from "./config.js";
import type { TimerName } from "./types.js";

/** Timers RFC 4271 §10 says to jitter (the others run unchanged). */
export const JITTERED_TIMERS: readonly TimerName[] = ["connectRetry", "keepalive"];

/** A 32-bit integer mix (the finaliser of MurmurHash3). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A deterministic factor in [0.75, 1.0] for `timer` set at `now` by a peer with `seed`. */
export function jitterFactor(seed: number, now: number, timer: TimerName): number {
  const t = JITTERED_TIMERS.indexOf(timer) + 1;
  let h = mix32((seed >>> 0) ^ 0x9e37_79b9);
  h = mix32(h ^ (Math.floor(now) >>> 0));
  h = mix32(h ^ Math.floor(now / 2 ** 32));
  h = mix32(h ^ t);
  return 0.75 + 0.25 * (h / 2 ** 32);
}

/** How long, in ms, a timer set at `now` for `seconds` runs under `config`. */
export function timerDuration(
  config: FsmConfig,
  timer: TimerName,
  seconds: number,
  now: number,
): number {
  const ms = seconds * 1000;
  if (!config.jitter || !JITTERED_TIMERS.includes(timer)) return ms;
  return ms * jitterFactor(config.jitterSeed, now, timer);
}
