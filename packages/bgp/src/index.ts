/**
 * @tortie/bgp — a BGP-4 speaker built as a sans-I/O core with a thin edge.
 *
 * Folders:
 * - `wire/`     the codec: pure functions over `Uint8Array` (messages,
 *               capabilities, path attributes, RFC 7606 errors, framing).
 * - `fsm/`      the RFC 4271 §8 state machine as a reducer
 *               `step(fsm, event, now) → {state, actions}`; OPEN validation,
 *               capability negotiation, collision detection.
 * - `speaker/`  the edge: TCP (with TCP-MD5, GTSM, namespaces), sessions,
 *               the `Speaker` with events and status.
 * - `rib/`      the RIB: Adj-RIB-In, Loc-RIB and Adj-RIB-Out returning deltas, the
 *               decision process with reasons, feasibility, export rules, packing.
 * - `policy/`   Calico BGPFilter validation and compilation into RIB policies.
 * - `cli/`      the `tortie-bgp` daemon and its status client.
 *
 * The codec, FSM, RIB and policy are exported as namespaces (`wire`, `fsm`,
 * `rib`, `policy`) so their many names do not collide; the speaker's API is
 * exported at the top level.
 */
export * as fsm from "./fsm/index.js";
export * as policy from "./policy/index.js";
export * as rib from "./rib/index.js";
export * from "./speaker/index.js";
export * as wire from "./wire/index.js";
