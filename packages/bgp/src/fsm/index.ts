/**
 * BGP-4 finite state machine (RFC 4271 §8) as a pure reducer:
 * `step(fsm, event, now) → { state, actions }`. No I/O, no timers, no clock —
 * the speaker performs the actions and turns deadlines into timer events.
 *
 * Files:
 * - `types.ts`          states, the 28 events of §8.1 (named and numbered),
 *                       actions, the `Fsm` snapshot.
 * - `config.ts`         session attributes (§8, §8.1.1) with defaults and checks.
 * - `step.ts`           `createFsm`, `step`: event normalisation, dispatch.
 * - `transitions.ts`    shared §8.2.2 procedures: to Idle (back-off), start, OPEN.
 * - `idle.ts`, `connect-active.ts`, `open-states.ts`, `established.ts`
 *                       the per-state tables of §8.2.2.
 * - `after-open.ts`     the events OpenSent, OpenConfirm and Established
 *                       handle alike (§8.2.2), in one place.
 * - `timers.ts`         deadlines → events: `nextDeadline`, `fireDue`, `updateSent`.
 * - `jitter.ts`         RFC 4271 §10 timer jitter, deterministic (opt-in).
 * - `open.ts`           `validateOpen`: OPEN checks (§6.2) and hold/keepalive.
 * - `capabilities.ts`   capability negotiation results as plain data (RFC 5492…).
 * - `collision.ts`      §6.8 collision detection, second connections, companions.
 * - `bgp-id.ts`         BGP Identifier parse/format/compare (unsigned 32-bit).
 * - `notification.ts`   NOTIFICATION descriptors and error codes.
 * - `unexpected.ts`     FSM Error for unexpected events (RFC 6608).
 * - `invariants.ts`     state/timer consistency rules.
 */
export * from "./bgp-id.js";
export * from "./capabilities.js";
export * from "./collision.js";
export * from "./config.js";
export * from "./invariants.js";
export { JITTERED_TIMERS, jitterFactor } from "./jitter.js";
export * from "./notification.js";
export * from "./open.js";
export { createFsm, step } from "./step.js";
export * from "./timers.js";
export * from "./types.js";
export { messageTypeOf, unexpectedEvent } from "./unexpected.js";
