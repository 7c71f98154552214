/**
 * @tortie/ipam — Calico's IPAM (pools, blocks affine to nodes, handles,
 * leak check and repair) over any @tortie/datastore backend, with Calico's
 * answers (libcalico-go `lib/ipam`).
 *
 * Files:
 * - `cidr.ts`        IPv4/IPv6 address arithmetic on bigints.
 * - `model.ts`       the stored records (config, Block, Affinity, Handle) and key layout.
 * - `block.ts`       pure operations on one block: assign, release with conflict guard (Calico ipam_block.go).
 * - `pools.ts`       pool defaults and validation, pool choice (determinePools), selectors, block enumeration.
 * - `records.ts`     JSON decoding with shape checks.
 * - `core.ts`        the small core: store, keys, caches, Node labels.
 * - `config.ts`      pools, reservations, IPAMConfiguration settings (SetIPAMConfig).
 * - `assign.ts`      AutoAssign, AssignIP, EnsureBlock.
 * - `release.ts`     ReleaseIPs, ReleaseByHandle, IPsByHandle.
 * - `affinity.ts`    block claim and reclaim, ClaimAffinity, ReleaseAffinity, ReleaseHostAffinities.
 * - `utilization.ts` GetUtilization (capacity, in use, reserved, available).
 * - `ipam.ts`        the {@link Ipam} client gathering the operations.
 * - `check.ts`       `check` (leaks, inconsistencies, double allocations) and `repair`.
 * - `usage.ts`       usage per pool/block/host, its text form, and the BlockAffinity export.
 * - `resources.ts`   IPAM configuration from Calico IPPool/IPReservation/IPAMConfiguration.
 * - `errors.ts`      typed errors, one per Calico error.
 */

export { type AffinityRelease, EMPTY_BLOCK_MIN_RECLAIM_AGE_MS } from "./affinity.js";
export {
  type AssignedIp,
  type AssignIpRequest,
  type AutoAssignRequest,
  type AutoAssignResult,
  blockLimit,
  type EnsureBlockRequest,
  type Shortfall,
} from "./assign.js";
export {
  type Assigned,
  assign,
  blockHost,
  blockProblems,
  emptyBlock,
  inUse,
  isEmpty,
  type ReleaseConflict,
  type ReleaseRequest,
  release,
  SEQ_STRIDE,
  sequenceFloor,
} from "./block.js";
export {
  type AffinityProblem,
  type CheckReport,
  check,
  type DoubleAllocation,
  type HandleMismatch,
  isClean,
  type Leak,
  type LivenessFn,
  type RepairOptions,
  type RepairResult,
  repair,
} from "./check.js";
export {
  type Cidr,
  contains,
  type Family,
  formatCidr,
  formatIp,
  type Ip,
  overlaps,
  parseCidr,
  parseIp,
} from "./cidr.js";
export type { IpamSettings } from "./config.js";
export { type HandleState, IpamCore, type IpamOptions } from "./core.js";
export * from "./errors.js";
export { Ipam } from "./ipam.js";
export * from "./model.js";
export {
  allOnly,
  blockBelongs,
  calicoSelector,
  determinePools,
  maxPrefixLen,
  normalizePool,
  type PoolChoice,
  type PoolQuery,
  type SelectorFn,
  selectsAll,
  validateConfig,
  validateIpamSettings,
} from "./pools.js";
export type { ReleaseResult, ReleaseSpec } from "./release.js";
export { ipamConfigFromResources, loadIpamConfig } from "./resources.js";
export {
  type BlockAffinityCrd,
  type BlockUsage,
  exportBlockAffinities,
  formatUsage,
  type PoolUsage,
  type Usage,
  usage,
} from "./usage.js";
export {
  type BlockUtilization,
  getUtilization,
  ORPHANED_BLOCKS,
  type PoolUtilization,
} from "./utilization.js";
