/**
 * The RIB: Adj-RIB-In, Loc-RIB and Adj-RIB-Out of one speaker, as a pure
 * core that returns deltas (RFC 4271 §3.2, §9).
 *
 * Files:
 * - `rib.ts`          `Rib`: peers, announce/withdraw/originate, deltas,
 *                     queries, subscriptions, graceful-restart helper
 *                     bookkeeping, max-prefix, import/export policy, export.
 * - `attrs.ts`        `AttrInterner`/`AttrSet`: interned attribute sets
 *                     (hash-consed by canonical encoding); `wireAttributes`.
 * - `decision.ts`     the RFC 4271 §9.1.2.2 decision process as ordered steps
 *                     with reasons; ECMP multipath set.
 * - `feasibility.ts`  AS_PATH/ORIGINATOR_ID/CLUSTER_LIST loops, NEXT_HOP checks.
 * - `export.ts`       split horizon, route reflection, well-known communities,
 *                     outbound attribute transformation (BIRD's rules).
 * - `adj-rib-out.ts`  `AdjRibOut`: advertised state, coalesced pending changes
 *                     grouped by attribute set for packing.
 * - `update.ts`       `applyUpdate`: one decoded UPDATE into the RIB (what a
 *                     session calls per UPDATE, RFC 7606 treat-as-withdraw).
 * - `pack.ts`         `batchToUpdates`: an Adj-RIB-Out batch as logical UPDATEs
 *                     (one per attribute set and family) for `encodeUpdates`.
 * - `dest-table.ts`   the destination index (IPv4 in typed arrays).
 * - `decision-table.fixture.ts`  competing paths with BIRD's documented choice
 *                     (test data for the unit test and the future BIRD test).
 * - `modify.ts`       policy modifications applied to attribute sets.
 * - `policy-hook.ts`  the `RoutePolicy` function shape the RIB calls.
 * - `path.ts`         `Path` and `PathSource`.
 * - `keys.ts`         prefix keys back to prefixes.
 * - `addr.ts`         address helpers (subnets, unusable next hops).
 */
export { parseSubnet, type Subnet, unusableNextHop } from "./addr.js";
export { AdjRibOut, type OutboundBatch, type PackedBatch } from "./adj-rib-out.js";
export {
  AttrInterner,
  type AttrSet,
  type AttrSetInit,
  attrOf,
  neighborAsOf,
  wireAttributes,
} from "./attrs.js";
export {
  bestPath,
  comparePaths,
  DECISION_PROCESS,
  DECISION_STEPS,
  type Decision,
  type DecisionOptions,
  type DecisionReason,
  type DecisionStep,
  decide,
} from "./decision.js";
export {
  type ExportContext,
  type ExportSkip,
  type ExportTarget,
  exportAllowed,
  exportAttributes,
  type NextHopMode,
  selfNextHop,
} from "./export.js";
export {
  checkFeasible,
  type FeasibilityContext,
  type Infeasible,
  type InfeasibleReason,
} from "./feasibility.js";
export { prefixFromKey, ribKey } from "./keys.js";
export { applyModification, prependAsPath } from "./modify.js";
export { batchToUpdates } from "./pack.js";
export type { Path, PathSource, SourceKind } from "./path.js";
export type { PathList } from "./path-list.js";
export {
  ACCEPT_ALL,
  type PolicyPeer,
  type PolicyRoute,
  type PolicyVerdict,
  type RouteModification,
  type RoutePolicy,
} from "./policy-hook.js";
export {
  type AnnounceResult,
  type ChangeKind,
  type MaxPrefixConfig,
  type PathSnapshot,
  Rib,
  type RibDelta,
  RibError,
  type RibListener,
  type RibOptions,
  type RibPeerConfig,
  type StartExportOptions,
} from "./rib.js";
export { applyUpdate, type UpdateResult } from "./update.js";
