// Assignment: automatic (Calico `AutoAssign` / `autoAssign` in ipam.go),
// of one given address (`AssignIP`), and making sure a host has a block
// (`EnsureBlock`). Every write is one compare-and-swap over the block and
// the handle together, so a crash never leaves one without the other.

import { claimBlock, releaseOne, tryClaim } from "./affinity.js";
import { assign, assignOrdinal, blockHost, handleAt, ordinalOf, sequenceFloor } from "./block.js";
import { type Family, formatCidr, parseCidr, parseIp } from "./cidr.js";
import type { HandleState, IpamCore } from "./core.js";
import {
  AddressInUseError,
  AddressNotInPoolError,
  AffinityMismatchError,
  BlockClaimConflictError,
  BlockLimitError,
  BlockNotEmptyError,
  ContentionError,
  NoEligiblePoolError,
  NoFreeBlocksError,
  PoolExhaustedError,
  UseNotAllowedError,
} from "./errors.js";
import {
  type AllowedUse,
  blockName,
  DEFAULT_MAX_BLOCKS_PER_HOST,
  type HostReservedAttr,
  type IpamConfig,
  type Pool,
} from "./model.js";
import {
  blockBelongs,
  blockOf,
  determinePools,
  isFullyReserved,
  maxPrefixLen,
  needsLabels,
  type PoolChoice,
  poolOf,
  reservedIn,
  selects,
  selectsAll,
} from "./pools.js";
import { adjustHandle } from "./records.js";
import { releaseIps } from "./release.js";

/** A request for automatic assignment (Calico `AutoAssignArgs`). */
export interface AutoAssignRequest {
  /** The handle the addresses belong to (e.g. "k8s-pod-network.<containerID>"). */
  readonly handleId: string;
  /** The node asking; blocks affine to it are used first. */
  readonly hostname: string;
  /** IPv4 addresses wanted (default 0). */
  readonly num4?: number;
  /** IPv6 addresses wanted (default 0). */
  readonly num6?: number;
  /** Attributes stored with each address (namespace, pod, node…). */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Use only these IPv4 pools (names or CIDRs), whatever their nodeSelector (Calico `IPv4Pools`). */
  readonly pools4?: readonly string[];
  /** Use only these IPv6 pools (names or CIDRs), whatever their nodeSelector (Calico `IPv6Pools`). */
  readonly pools6?: readonly string[];
  /**
   * The node's labels, for pool nodeSelectors. Default: the labels of the
   * node's Node resource in the datastore, read only when a selector other
   * than all() must be evaluated.
   */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** What the addresses are for (Calico `IntendedUse`; default "Workload"). */
  readonly use?: AllowedUse;
  /** A per-request block limit; the more restrictive of it and maxBlocksPerHost applies (Calico `MaxBlocksPerHost`). */
  readonly maxBlocksPerHost?: number;
  /** Addresses to keep free at the ends of new IPv4 blocks (Calico `HostReservedAttrIPv4s`; see `windowsReserved`). */
  readonly hostReservedAttr4?: HostReservedAttr;
  /** Addresses to keep free at the ends of new IPv6 blocks (Calico `HostReservedAttrIPv6s`). */
  readonly hostReservedAttr6?: HostReservedAttr;
  /**
   * true (the default): when a family falls short, release what this call
   * assigned and throw the shortfall's error. false: Calico's behaviour —
   * keep and return what could be assigned, with `shortfall4`/`shortfall6`.
   */
  readonly allOrNothing?: boolean;
}

/** Why a family got fewer addresses than requested (Calico `IPAMAssignments.Msgs` / `ErrBlockLimit`). */
export interface Shortfall {
  readonly requested: number;
  readonly assigned: number;
  /** {@link BlockLimitError}, {@link NoFreeBlocksError} or {@link PoolExhaustedError}. */
  readonly reason: BlockLimitError | NoFreeBlocksError | PoolExhaustedError;
}

/** What {@link Ipam.autoAssign} returns. */
export interface AutoAssignResult {
  readonly ipv4: readonly AssignedIp[];
  readonly ipv6: readonly AssignedIp[];
  /** Set when fewer IPv4 addresses than requested were assigned (only with `allOrNothing: false`). */
  readonly shortfall4?: Shortfall;
  /** Set when fewer IPv6 addresses than requested were assigned (only with `allOrNothing: false`). */
  readonly shortfall6?: Shortfall;
}

/** An assigned address with the block it came from and its sequence number. */
export interface AssignedIp {
  readonly ip: string;
  readonly block: string;
  readonly sequenceNumber: number;
}

type Attr = { handleId: string; secondary: Record<string, string> };

/**
 * Assigns `num4` IPv4 and `num6` IPv6 addresses to a handle (Calico
 * `AutoAssign`): from blocks affine to the host, then from newly claimed
 * blocks (up to the block limit), then, unless strictAffinity, borrowed
 * from other hosts' blocks.
 */
export async function autoAssign(
  core: IpamCore,
  req: AutoAssignRequest,
): Promise<AutoAssignResult> {
  return core.withFreshConfigOnMiss(NoEligiblePoolError, (cfg) => autoAssignWith(core, req, cfg));
}

async function autoAssignWith(
  core: IpamCore,
  req: AutoAssignRequest,
  cfg: IpamConfig,
): Promise<AutoAssignResult> {
  const handle = core.handleState(req.handleId);
  const allOrNothing = req.allOrNothing ?? true;
  const r4 = req.num4 ? await assignFamily(core, 4, req.num4, req, cfg, handle) : undefined;
  const rollback = async (got: readonly AssignedIp[]) => {
    if (got.length) {
      await releaseIps(
        core,
        got.map((a) => ({ ip: a.ip, handleId: req.handleId, sequenceNumber: a.sequenceNumber })),
      );
    }
  };
  if (r4?.shortfall && allOrNothing) {
    await rollback(r4.got);
    throw r4.shortfall.reason;
  }
  let r6: Awaited<ReturnType<typeof assignFamily>> | undefined;
  try {
    r6 = req.num6 ? await assignFamily(core, 6, req.num6, req, cfg, handle) : undefined;
  } catch (e) {
    await rollback(r4?.got ?? []);
    throw e;
  }
  if (r6?.shortfall && allOrNothing) {
    await rollback([...(r4?.got ?? []), ...r6.got]);
    throw r6.shortfall.reason;
  }
  return {
    ipv4: r4?.got ?? [],
    ipv6: r6?.got ?? [],
    ...(r4?.shortfall ? { shortfall4: r4.shortfall } : {}),
    ...(r6?.shortfall ? { shortfall6: r6.shortfall } : {}),
  };
}

/** What choosing pools needs of a request. */
interface PoolAsk {
  readonly hostname: string;
  readonly requested: readonly string[] | undefined;
  readonly nodeLabels: Readonly<Record<string, string>> | undefined;
  readonly use: AllowedUse;
}

/** The pools an automatic request of `family` may use (Calico `prepareAffinityBlocksForHost`). */
async function choosePools(
  core: IpamCore,
  family: Family,
  ask: PoolAsk,
  cfg: IpamConfig,
  reserved: HostReservedAttr | undefined,
): Promise<{ choice: PoolChoice; labels: Readonly<Record<string, string>> | undefined }> {
  const hasRequested = ask.requested !== undefined && ask.requested.length > 0;
  let labels = ask.nodeLabels;
  if (labels === undefined && needsLabels(cfg, family, hasRequested)) {
    labels = await core.nodeLabels(ask.hostname);
  }
  const choice = determinePools(cfg, {
    family,
    ...(hasRequested ? { requested: ask.requested } : {}),
    use: ask.use,
    host: ask.hostname,
    selector: core.selector,
    labels,
    maxPrefixLen: maxPrefixLen(family, reserved),
  });
  return { choice, labels };
}

async function assignFamily(
  core: IpamCore,
  family: Family,
  n: number,
  req: AutoAssignRequest,
  cfg: IpamConfig,
  handle: HandleState,
): Promise<{ got: AssignedIp[]; shortfall?: Shortfall }> {
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`num${family} must be a non-negative integer`);
  const host = req.hostname;
  const reserved = family === 4 ? req.hostReservedAttr4 : req.hostReservedAttr6;
  const { choice, labels } = await choosePools(
    core,
    family,
    {
      hostname: host,
      requested: family === 4 ? req.pools4 : req.pools6,
      nodeLabels: req.nodeLabels,
      use: req.use ?? "Workload",
    },
    cfg,
    reserved,
  );
  const pools = choice.allowed;
  const attr: Attr = {
    handleId: req.handleId,
    secondary: { ...(req.attrs ?? {}), node: host },
  };
  const inPools = (cidr: string) => pools.some((p) => blockBelongs(p, cidr));
  const got: AssignedIp[] = [];
  const need = () => n - got.length;
  const done = (reason?: Shortfall["reason"]) =>
    reason ? { got, shortfall: { requested: n, assigned: got.length, reason } } : { got };
  try {
    // Whether the host's affinities were cached before this call (a fresh
    // read needs no second look below).
    const wasCached = core.hostBlocks.has(host);
    await releaseUnselectedBlocks(core, host, family, cfg, choice, labels);
    // 1. Blocks affine to this host: first as cached (a block seen full is
    // skipped); when they do not suffice, re-read the host's affinities and
    // blocks (another client may have released) and try again.
    const tryAffine = async (cidrs: readonly string[]) => {
      for (const cidr of cidrs) {
        if (need() === 0) break;
        const known = core.blocks.get(cidr);
        if (known && known.value.unallocated.length === 0) continue;
        if (!inPools(cidr) || isFullyReserved(cfg, cidr)) continue;
        got.push(...(await assignInBlock(core, cidr, need(), attr, cfg, handle, host)));
      }
    };
    let mine = await core.affineBlocks(host, false);
    await core.loadBlocks(mine.filter(inPools), false);
    await tryAffine(mine);
    if (need() > 0 && wasCached) {
      mine = await core.affineBlocks(host, true);
      await core.loadBlocks(mine.filter(inPools), true);
      await tryAffine(mine);
    }
    // 2. Claim new blocks, up to the block limit, counted as Calico counts:
    // the host's blocks of this family in the pools in play.
    const limit = blockLimit(cfg, req.maxBlocksPerHost);
    while (need() > 0) {
      const owned = (await core.affineBlocks(host, false)).filter(inPools).length;
      if (owned >= limit) {
        // Calico returns ErrBlockLimit here, without borrowing.
        return done(new BlockLimitError(host, family, limit, n, got.length));
      }
      if (!cfg.autoAllocateBlocks) {
        return done(
          new NoFreeBlocksError(host, family, n, got.length, "autoAllocateBlocksDisabled"),
        );
      }
      const cidr = await claimBlock(core, host, pools, cfg, reserved);
      if (!cidr) {
        if (cfg.strictAffinity) {
          return done(new NoFreeBlocksError(host, family, n, got.length, "strictAffinity"));
        }
        break;
      }
      got.push(...(await assignInBlock(core, cidr, need(), attr, cfg, handle, host)));
    }
    // 3. Borrow from other hosts' blocks (Calico's "random hunt" over non-affine blocks).
    if (need() > 0 && !cfg.strictAffinity) {
      for (const b of await core.listBlocks()) {
        if (need() === 0) break;
        if (!inPools(b.cidr) || b.unallocated.length === 0) continue;
        got.push(...(await assignInBlock(core, b.cidr, need(), attr, cfg, handle)));
      }
    }
  } catch (e) {
    if (got.length) {
      await releaseIps(
        core,
        got.map((a) => ({ ip: a.ip, handleId: req.handleId, sequenceNumber: a.sequenceNumber })),
      );
    }
    throw e;
  }
  if (need() > 0) {
    return done(
      new PoolExhaustedError(
        family,
        n,
        got.length,
        pools.map((p) => p.cidr),
        !(req.allOrNothing ?? true),
      ),
    );
  }
  return done();
}

/** The block limit in force (Calico `autoAssign`: the more restrictive of request and config, 20 when neither). */
export function blockLimit(cfg: IpamConfig, perRequest = 0): number {
  let limit = perRequest;
  if (cfg.maxBlocksPerHost > 0 && (limit === 0 || limit > cfg.maxBlocksPerHost)) {
    limit = cfg.maxBlocksPerHost;
  }
  return limit > 0 ? limit : DEFAULT_MAX_BLOCKS_PER_HOST;
}

/**
 * Releases the host's empty affine blocks of this family whose pool no longer
 * selects the node (Calico `prepareAffinityBlocksForHost`: "Release any
 * emptied blocks still affine to this host but no longer part of an IP Pool
 * which selects this node"). Uses the cached affinities; costs nothing when
 * every affine block is in a pool in play.
 */
async function releaseUnselectedBlocks(
  core: IpamCore,
  host: string,
  family: Family,
  cfg: IpamConfig,
  choice: PoolChoice,
  labels: Readonly<Record<string, string>> | undefined,
): Promise<void> {
  const mine = await core.affineBlocks(host, false);
  for (const cidr of mine) {
    const c = parseCidr(cidr);
    if (c.family !== family) continue;
    if (choice.allowed.some((p) => blockBelongs(p, cidr))) continue;
    if (choice.selecting.some((p) => blockBelongs(p, cidr))) continue;
    const pool = poolOf(cfg, { family, value: c.base });
    if (!pool || !blockBelongs(pool, cidr)) continue; // no pool: left to check/repair
    if (selectsAll(pool.nodeSelector)) continue; // selects every node: no labels needed
    labels ??= await core.nodeLabels(host).catch(() => undefined);
    const lbls = labels;
    if (lbls === undefined || selects(pool, lbls, core.selector)) continue;
    await releaseOne(core, host, cidr, { requireEmpty: true }).catch((e) => {
      if (!(e instanceof BlockNotEmptyError || e instanceof BlockClaimConflictError)) throw e;
    });
  }
}

/**
 * Assigns up to `n` addresses in one block with compare-and-swap on the
 * block and the handle together. With `host`, only while the block is
 * still affine to it.
 */
async function assignInBlock(
  core: IpamCore,
  cidr: string,
  n: number,
  attr: Attr,
  cfg: IpamConfig,
  handle: HandleState,
  host?: string,
): Promise<AssignedIp[]> {
  const c = parseCidr(cidr);
  const excluded = reservedIn(cfg, c);
  const blockKey = core.keys.block(cidr);
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    const entry = core.blocks.get(cidr) ?? (await core.readBlock(cidr));
    if (!entry) return [];
    if (host !== undefined && blockHost(entry.value) !== host) return [];
    const { block, assigned } = assign(
      entry.value,
      n,
      attr,
      excluded,
      sequenceFloor(entry.modRevision),
    );
    if (assigned.length === 0) return [];
    const nextHandle = adjustHandle(
      handle.value,
      handle.handleId,
      blockName(cidr),
      assigned.length,
    )!;
    const r = await core.store.txn({
      compare: [
        { key: blockKey, modRevision: entry.modRevision },
        { key: handle.key, modRevision: handle.modRevision },
      ],
      ops: [
        { type: "put", key: blockKey, value: JSON.stringify(block) },
        { type: "put", key: handle.key, value: JSON.stringify(nextHandle) },
      ],
    });
    if (r.succeeded) {
      core.blocks.set(cidr, { value: block, modRevision: r.revision });
      handle.value = nextHandle;
      handle.modRevision = r.revision;
      return assigned.map((a) => ({ ip: a.ip, block: cidr, sequenceNumber: a.sequenceNumber }));
    }
    core.cacheBlock(cidr, r.current?.get(blockKey));
    core.refreshHandle(handle, r.current?.get(handle.key));
  }
  throw new ContentionError(`assign in block ${cidr}`, core.maxRetries);
}

/** A request to assign one given address (Calico `AssignIPArgs`). */
export interface AssignIpRequest {
  readonly ip: string;
  readonly handleId: string;
  readonly hostname: string;
  readonly attrs?: Readonly<Record<string, string>>;
  /** When given, the address's pool must allow it (Calico `IntendedUse`). */
  readonly use?: AllowedUse;
  /** Host-reserved addresses for the block, if this call creates it. */
  readonly hostReservedAttr?: HostReservedAttr;
}

/**
 * Assigns one given address (Calico `AssignIP`; the `ipAddrs` annotation).
 * The address must be in an enabled pool ({@link AddressNotInPoolError})
 * that allows `use` ({@link UseNotAllowedError}); IPReservations do not
 * apply (as in Calico, they bind automatic assignment only). Its block is
 * created affine to `hostname` when absent; with strictAffinity a block of
 * another host, or of none, is refused ({@link AffinityMismatchError}).
 * A taken address throws {@link AddressInUseError}.
 */
export async function assignIp(core: IpamCore, req: AssignIpRequest): Promise<AssignedIp> {
  const ip = parseIp(req.ip);
  return core.withFreshConfigOnMiss(AddressNotInPoolError, (cfg) =>
    assignIpWith(core, req, ip, cfg),
  );
}

async function assignIpWith(
  core: IpamCore,
  req: AssignIpRequest,
  ip: ReturnType<typeof parseIp>,
  cfg: IpamConfig,
): Promise<AssignedIp> {
  const pool = poolOf(cfg, ip);
  if (!pool || pool.disabled) throw new AddressNotInPoolError(req.ip, pool?.name);
  if (req.use !== undefined && !pool.allowedUses.includes(req.use)) {
    throw new UseNotAllowedError(req.ip, pool.name, req.use);
  }
  const c = blockOf(pool, ip);
  const cidr = formatCidr(c);
  const ordinal = ordinalOf(c, ip);
  const handle = core.handleState(req.handleId);
  const attr = {
    handleId: req.handleId,
    secondary: { ...(req.attrs ?? {}), node: req.hostname },
  };
  const blockKey = core.keys.block(cidr);
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    let entry = core.blocks.get(cidr) ?? (await core.readBlock(cidr));
    if (!entry) {
      await tryClaim(core, req.hostname, cidr, req.hostReservedAttr);
      entry = await core.readBlock(cidr);
      if (!entry) continue;
    }
    const owner = blockHost(entry.value);
    if (cfg.strictAffinity && owner !== req.hostname) {
      throw new AffinityMismatchError(cidr, owner, req.hostname);
    }
    const r0 = assignOrdinal(entry.value, ordinal, attr, sequenceFloor(entry.modRevision));
    if (!r0) {
      // The cache may be stale: confirm with a read before refusing.
      if (attempt === 0 && core.blocks.get(cidr) === entry) {
        core.blocks.delete(cidr);
        continue;
      }
      throw new AddressInUseError(req.ip, handleAt(entry.value, ordinal) ?? null);
    }
    const nextHandle = adjustHandle(handle.value, handle.handleId, blockName(cidr), 1)!;
    const r = await core.store.txn({
      compare: [
        { key: blockKey, modRevision: entry.modRevision },
        { key: handle.key, modRevision: handle.modRevision },
      ],
      ops: [
        { type: "put", key: blockKey, value: JSON.stringify(r0.block) },
        { type: "put", key: handle.key, value: JSON.stringify(nextHandle) },
      ],
    });
    if (r.succeeded) {
      core.blocks.set(cidr, { value: r0.block, modRevision: r.revision });
      return { ip: r0.assigned.ip, block: cidr, sequenceNumber: r0.assigned.sequenceNumber };
    }
    core.cacheBlock(cidr, r.current?.get(blockKey));
    core.refreshHandle(handle, r.current?.get(handle.key));
  }
  throw new ContentionError(`assign ${req.ip}`, core.maxRetries);
}

/** A request to make sure a host has a block (Calico `BlockArgs`, one family). */
export interface EnsureBlockRequest {
  readonly hostname: string;
  readonly family: Family;
  /** Restrict to these pools (names or CIDRs). */
  readonly pools?: readonly string[];
  /** Host-reserved addresses for a block this call creates. */
  readonly hostReservedAttr?: HostReservedAttr;
  /** The node's labels (default: from its Node resource, when a selector needs them). */
  readonly nodeLabels?: Readonly<Record<string, string>>;
}

/**
 * Returns a block affine to the host in the pools in play, claiming one when
 * it has none (Calico `EnsureBlock`; assigns nothing). Throws
 * {@link NoFreeBlocksError} when none can be had.
 */
export async function ensureBlock(core: IpamCore, req: EnsureBlockRequest): Promise<string> {
  const cfg = await core.config();
  const { choice } = await choosePools(
    core,
    req.family,
    { hostname: req.hostname, requested: req.pools, nodeLabels: req.nodeLabels, use: "Workload" },
    cfg,
    req.hostReservedAttr,
  );
  const pools: readonly Pool[] = choice.allowed;
  const mine = await core.affineBlocks(req.hostname, true);
  const have = mine.find((c) => pools.some((p) => blockBelongs(p, c)) && !isFullyReserved(cfg, c));
  if (have) return have;
  const cidr = await claimBlock(core, req.hostname, pools, cfg, req.hostReservedAttr);
  if (!cidr) throw new NoFreeBlocksError(req.hostname, req.family, 0, 0, "noFreeBlocks");
  return cidr;
}
