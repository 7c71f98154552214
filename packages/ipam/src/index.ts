/**
 * @tortie/ipam — Calico's IPAM (pools, blocks affine to nodes, handles,
 * leak check and repair) over any @tortie/datastore backend.
 *
 * Files:
 * - `cidr.ts`     IPv4/IPv6 address arithmetic on bigints.
 * - `model.ts`    the stored records (config, Block, Affinity, Handle) and key layout.
 * - `block.ts`    pure operations on one block: assign, release with ABA guard, problems.
 * - `pools.ts`    pool defaults and validation, overlap, eligibility, block enumeration.
 * - `records.ts`  JSON decoding with shape checks.
 * - `ipam.ts`     the {@link Ipam} client: assign, claim, borrow, release.
 * - `check.ts`    `check` (leaks, inconsistencies, double allocations) and `repair`.
 * - `usage.ts`    usage per pool/block/host and the BlockAffinity export.
 * - `resources.ts` IPAM configuration from Calico IPPool/IPReservation/IPAMConfiguration.
 * - `errors.ts`   typed errors.
 */

export {
  type Assigned,
  assign,
  blockHost,
  blockProblems,
  emptyBlock,
  inUse,
  isEmpty,
  type ReleaseRequest,
  release,
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
export * from "./errors.js";
export {
  type AssignedIp,
  type AutoAssignRequest,
  type AutoAssignResult,
  blockBelongs,
  Ipam,
  type IpamOptions,
  type ReleaseSpec,
} from "./ipam.js";
export * from "./model.js";
export { allOnly, normalizePool, type SelectorFn, validateConfig } from "./pools.js";
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
