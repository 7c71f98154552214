/**
 * The speaker: the I/O edge of `@tortie/bgp`.
 *
 * Files:
 * - `speaker.ts`   `Speaker`: listener, configured and dynamic peers,
 *                  originate/withdraw, events, status.
 * - `session.ts`   `PeerSession`: one peer's I/O — FSM + codec + TCP,
 *                  collisions, timers, counters; every entry point
 *                  contained (an internal error ends that session only).
 * - `peer-rib.ts`  `PeerRib`: one peer's routes in the RIB — registration,
 *                  UPDATEs in (routes event, End-of-RIB, max-prefix), the
 *                  Adj-RIB-Out out (initial export, route refresh), routes
 *                  kept stale or withdrawn when the session goes down.
 * - `session-options.ts` pure: configuration → local AS, our graceful
 *                  restart, capabilities we announce, FSM options.
 * - `session-types.ts` status, counters, events and host shapes of a session.
 * - `session-info.ts` pure: a peer's status record; NOTIFICATION / last
 *                  error / negotiated session as status shows them.
 * - `update-prefixes.ts` pure: the prefixes an UPDATE withdraws/announces.
 * - `rib-peer.ts`  pure: a peer's configuration + negotiated session →
 *                  `RibPeerConfig` (policies compiled from its BGPFilters).
 * - `gr-helper.ts` graceful restart, helper role (RFC 4724 §4.2): stale
 *                  paths in the RIB, their sweeps and timers.
 * - `send-hold.ts` the RFC 9687 send hold timer of a connection.
 * - `read-turns.ts` read fairness: a session handles 16 KiB at a time in
 *                  turn with the others, at most a read per turn of the
 *                  event loop, so one peer's full table cannot hold up
 *                  the other sessions.
 * - `out-queue.ts` `OutQueue`: an Established peer's Adj-RIB-Out drained
 *                  into its socket, coalesced and paced by back-pressure.
 * - `rib-view.ts`  pure: originated routes → RIB attributes, RIB paths →
 *                  `RibRoute`, Loc-RIB deltas → `BestPathChange`.
 * - `replies.ts`   pure: decode error → FSM event, NOTIFICATION cut to fit.
 * - `routes.ts`    pure: UPDATE → route changes (RFC 7606 aware) and
 *                  originated routes → packed UPDATEs.
 * - `open-map.ts`  pure: our OPEN from configuration, received OPEN → FSM
 *                  descriptor, negotiated session → codec context.
 * - `graceful-restart.ts` pure: RFC 4724 decisions (keep routes on a
 *                  session end? flush which families on return?); the
 *                  stale flags live in the RIB, the timers in `gr-helper.ts`.
 * - `config.ts`    zod schema of the speaker configuration (strict: unknown
 *                  keys name the closest valid one, via `suggest.ts`).
 * - `suggest.ts`   pure: "did you mean …?" by edit distance.
 * - `status.ts`    `formatStatus()`: a `birdc show protocols`-like table.
 * - `transport.ts` TCP listeners and connections made through libc; a listener
 *                  accepts every queued connection in one turn (up to 64).
 * - `libc.ts`      koffi bindings: socket, bind, listen, accept4, setsockopt
 *                  (TCP-MD5, TTL, GTSM), setns.
 */
export * from "./config.js";
export {
  familiesToFlush,
  keepsRoutes,
  type LocalGracefulRestart,
  MAX_RESTART_TIME,
} from "./graceful-restart.js";
export { SyscallError } from "./libc.js";
export { FAMILIES, type FamilyKey } from "./open-map.js";
export type { OriginateBatch, OriginateGroup } from "./originate-batch.js";
export { OutQueue, type OutQueueHost } from "./out-queue.js";
export {
  type BestPathChange,
  bestPathChange,
  originatedInit,
  type RibRoute,
  type RouteQuery,
  routeOf,
} from "./rib-view.js";
export {
  buildAnnouncements,
  buildWithdrawals,
  type ExportTarget,
  formatCommunity,
  type Originated,
  type OriginName,
  parseCommunity,
  type Route,
  type RouteChanges,
  routeKey,
  routesFromUpdate,
} from "./routes.js";
export type {
  LastError,
  MessageCounters,
  NotificationInfo,
  PeerStatus,
  SessionErrorInfo,
  SessionInfo,
} from "./session.js";
export {
  type BestPathListener,
  Speaker,
  SpeakerError,
  type SpeakerEvents,
  type SpeakerOptions,
  type SpeakerStatus,
} from "./speaker.js";
export { formatStatus } from "./status.js";
