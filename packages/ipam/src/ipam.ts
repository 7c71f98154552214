// The IPAM client: one object gathering the operations, each in the file
// named for it, over the shared core (core.ts). Where to find the room for
// each Calico `ipam.Interface` function:
//
//   AutoAssign, AssignIP, EnsureBlock          assign.ts
//   ReleaseIPs, ReleaseByHandle, IPsByHandle   release.ts
//   ClaimAffinity, ReleaseAffinity,
//   ReleaseHostAffinities, ReleaseBlockAffinity,
//   ReleasePoolAffinities                      affinity.ts
//   GetIPAMConfig, SetIPAMConfig (+ pools)     config.ts
//   GetUtilization                             utilization.ts
import {
  type AffinityRelease,
  claimAffinity,
  releaseAffinity,
  releaseHostAffinities,
  releaseOne,
  releasePoolAffinities,
} from "./affinity.js";
import {
  type AssignedIp,
  type AssignIpRequest,
  type AutoAssignRequest,
  type AutoAssignResult,
  assignIp,
  autoAssign,
  type EnsureBlockRequest,
  ensureBlock,
} from "./assign.js";
import { formatCidr, parseCidr } from "./cidr.js";
import {
  applyPool,
  deletePool,
  type IpamSettings,
  setIpamConfiguration,
  setReservations,
  updateConfig,
} from "./config.js";
import { IpamCore } from "./core.js";
import { BlockClaimConflictError, BlockNotEmptyError } from "./errors.js";
import type { IpamConfig, Pool, PoolInput } from "./model.js";
import {
  ipsByHandle,
  type ReleaseResult,
  type ReleaseSpec,
  releaseByHandle,
  releaseIps,
} from "./release.js";
import { getUtilization, type PoolUtilization } from "./utilization.js";

/** The IPAM client: pools, blocks with host affinity, handles (Calico `ipam.Interface`). */
export class Ipam extends IpamCore {
  // ------------------------------------------------------------ configuration

  /** Changes the configuration with compare-and-swap; `change` may throw to refuse. */
  updateConfig(change: (cfg: IpamConfig) => IpamConfig): Promise<IpamConfig> {
    return updateConfig(this, change);
  }

  /** Adds (or replaces, by name) a pool; throws {@link PoolOverlapError} or {@link InvalidPoolError}. */
  applyPool(input: PoolInput): Promise<Pool> {
    return applyPool(this, input);
  }

  /** Removes a pool by name (its blocks stay until released). */
  deletePool(name: string): Promise<void> {
    return deletePool(this, name);
  }

  /** Sets the reserved CIDRs (the union of all IPReservations). */
  setReservations(cidrs: readonly string[]): Promise<void> {
    return setReservations(this, cidrs);
  }

  /** Sets IPAMConfiguration settings (Calico `SetIPAMConfig`); throws {@link IpamConfigConflictError}. */
  setIpamConfiguration(c: IpamSettings): Promise<void> {
    return setIpamConfiguration(this, c);
  }

  // ------------------------------------------------------------ assignment

  /** Assigns addresses automatically (Calico `AutoAssign`); see {@link AutoAssignRequest}. */
  autoAssign(req: AutoAssignRequest): Promise<AutoAssignResult> {
    return autoAssign(this, req);
  }

  /** Assigns one given address (Calico `AssignIP`). */
  assignIp(req: AssignIpRequest): Promise<AssignedIp> {
    return assignIp(this, req);
  }

  /** Returns a block affine to the host, claiming one if needed (Calico `EnsureBlock`). */
  ensureBlock(req: EnsureBlockRequest): Promise<string> {
    return ensureBlock(this, req);
  }

  // ------------------------------------------------------------ release

  /** Releases addresses (Calico `ReleaseIPs`); a stale guard throws {@link ReleaseConflictError}. */
  releaseIps(specs: readonly (string | ReleaseSpec)[]): Promise<ReleaseResult> {
    return releaseIps(this, specs);
  }

  /** Releases a handle's addresses and the handle (Calico `ReleaseByHandle`). */
  releaseByHandle(handleId: string, opts?: { mustExist?: boolean }): Promise<string[]> {
    return releaseByHandle(this, handleId, opts);
  }

  /** The addresses a handle holds (Calico `IPsByHandle`). */
  ipsByHandle(handleId: string, opts?: { mustExist?: boolean }): Promise<string[]> {
    return ipsByHandle(this, handleId, opts);
  }

  // ------------------------------------------------------------ affinity

  /** Claims every block inside `cidr` for `host` (Calico `ClaimAffinity`). */
  claimAffinity(cidr: string, host: string): Promise<{ claimed: string[]; failed: string[] }> {
    return claimAffinity(this, cidr, host);
  }

  /** Releases `host`'s affinity for the blocks inside `cidr` (Calico `ReleaseAffinity`). */
  releaseAffinity(cidr: string, host: string, mustBeEmpty = false): Promise<AffinityRelease> {
    return releaseAffinity(this, cidr, host, mustBeEmpty);
  }

  /**
   * Releases a host's block affinities (Calico `ReleaseHostAffinities`; node
   * removed): empty blocks are deleted; blocks still in use lose their
   * affinity and stay, borrowable — or, with `mustBeEmpty`, keep it, and
   * {@link BlockNotEmptyError} is thrown after the others are released.
   */
  releaseHostAffinities(host: string, mustBeEmpty = false): Promise<AffinityRelease> {
    return releaseHostAffinities(this, host, mustBeEmpty);
  }

  /** Releases every host's affinity for the blocks of a pool (Calico `ReleasePoolAffinities`). */
  releasePoolAffinities(pool: string): Promise<AffinityRelease> {
    return releasePoolAffinities(this, pool);
  }

  /**
   * Releases the affinity of one block of a host if the block is empty (the
   * block is deleted with it; Calico `ReleaseBlockAffinity` with mustBeEmpty).
   * Returns false when the block is in use (or not affine to the host).
   */
  async releaseBlockAffinity(host: string, cidr: string): Promise<boolean> {
    try {
      const c = formatCidr(parseCidr(cidr));
      return (await releaseOne(this, host, c, { requireEmpty: true })) === "deleted";
    } catch (e) {
      if (e instanceof BlockNotEmptyError || e instanceof BlockClaimConflictError) return false;
      throw e;
    }
  }

  // ------------------------------------------------------------ utilization

  /** Utilization per pool and block (Calico `GetUtilization`). */
  getUtilization(args?: { pools?: readonly string[] }): Promise<PoolUtilization[]> {
    return getUtilization(this, args);
  }
}
