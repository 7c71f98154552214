// Block affinity: claiming blocks for a host (two-phase, after Calico's
// `getPendingAffinity` + `claimAffineBlock` in ipam_block_reader_writer.go),
// reclaiming other hosts' empty blocks (`findUsableBlock`), and releasing
// affinities (`releaseBlockAffinity`, `ReleaseAffinity`,
// `ReleaseHostAffinities`, `ClaimAffinity` in ipam.go).
//
// Block claim:
//   1. create   affinity/<host>/<block> = pending      (fails if present)
//   2. txn      blocks/<block> absent  ∧ affinity unchanged
//               → create the block (affine to host), affinity = confirmed
// The block is created only if absent, so two hosts never both own it; the
// loser deletes its pending affinity. A pending affinity left by a crash is
// resumed by the same host or found and removed by `check`/`repair`.
import type { TxnOp } from "@tortie/datastore";
import { blockHost, emptyBlock, inUse, isEmpty } from "./block.js";
import { contains, formatCidr, parseCidr } from "./cidr.js";
import type { IpamCore } from "./core.js";
import {
  AddressNotInPoolError,
  BlockClaimConflictError,
  BlockNotEmptyError,
  ContentionError,
  InvalidSizeError,
  MAX_BLOCKS_PER_CLAIM,
} from "./errors.js";
import {
  type Affinity,
  blockName,
  type HostReservedAttr,
  type IpamConfig,
  type Pool,
} from "./model.js";
import { blockAt, blockBelongs, blockCount, hashString, isFullyReserved } from "./pools.js";
import { decodeAffinity } from "./records.js";

/**
 * How long after a host claimed a block another host may take it back when
 * it is empty and the pools are otherwise full (Calico
 * `EmptyBlockMinReclaimAge`: one minute), so that a block does not ping-pong
 * between two hosts before either can use it.
 */
export const EMPTY_BLOCK_MIN_RECLAIM_AGE_MS = 60_000;

/**
 * Claims a free block for `host` from the first pool that has one. When every
 * block of the pools exists, reclaims an empty block another host claimed
 * more than {@link EMPTY_BLOCK_MIN_RECLAIM_AGE_MS} ago (Calico
 * `findUsableBlock`). Returns its CIDR, or undefined when there is none
 * (Calico `noFreeBlocksError`).
 */
export async function claimBlock(
  core: IpamCore,
  host: string,
  pools: readonly Pool[],
  cfg: IpamConfig,
  reserved?: HostReservedAttr,
): Promise<string | undefined> {
  // Which blocks exist: names only (a keys-only listing, no block values).
  const existing = new Set(
    (await core.store.list(core.keys.blocksPrefix, { keysOnly: true })).kvs.map((kv) =>
      kv.key.slice(core.keys.blocksPrefix.length),
    ),
  );
  // Resume a claim a crash interrupted: a pending affinity of ours whose block is free.
  const pending = core.hostPending.get(host) ?? (await core.listAffinities(host));
  core.hostPending.set(host, []);
  for (const a of pending) {
    if (a.value.state !== "pending" || existing.has(blockName(a.value.cidr))) continue;
    if (!pools.some((p) => blockBelongs(p, a.value.cidr))) continue;
    if (await confirmClaim(core, host, a.value.cidr, a.modRevision, reserved)) return a.value.cidr;
  }
  for (const pool of pools) {
    const total = blockCount(pool);
    // Start at a host-specific block so that hosts claiming at once rarely collide.
    const start = BigInt(hashString(host)) % total;
    for (let i = 0n; i < total; i++) {
      const cidr = formatCidr(blockAt(pool, (start + i) % total));
      if (existing.has(blockName(cidr))) continue;
      if (isFullyReserved(cfg, cidr)) continue;
      if (await tryClaim(core, host, cidr, reserved)) return cidr;
      existing.add(blockName(cidr));
    }
  }
  return reclaimEmptyBlock(core, host, pools, cfg, reserved);
}

/**
 * Takes over an empty block another host claimed long enough ago (Calico
 * `findUsableBlock`'s "Ran out of unclaimed blocks, trying to reclaim an
 * empty one"): its affinity is released only if the block is unchanged since
 * it was read, then the block is claimed afresh.
 */
async function reclaimEmptyBlock(
  core: IpamCore,
  host: string,
  pools: readonly Pool[],
  cfg: IpamConfig,
  reserved?: HostReservedAttr,
): Promise<string | undefined> {
  const now = core.now();
  for (const e of await core.listBlockEntries()) {
    const b = e.value;
    const owner = blockHost(b);
    if (owner === null || owner === host || !isEmpty(b) || b.unallocated.length === 0) continue;
    if (!pools.some((p) => blockBelongs(p, b.cidr)) || isFullyReserved(cfg, b.cidr)) continue;
    if (now - (b.affinityClaimTime ?? 0) < EMPTY_BLOCK_MIN_RECLAIM_AGE_MS) continue;
    const r = await releaseOne(core, owner, b.cidr, {
      requireEmpty: true,
      blockRevision: e.modRevision,
    }).catch((err) => {
      if (err instanceof BlockNotEmptyError || err instanceof BlockClaimConflictError)
        return "none" as const;
      throw err;
    });
    if (r !== "deleted") continue;
    if (await tryClaim(core, host, b.cidr, reserved)) return b.cidr;
  }
  return undefined;
}

/** Claims `cidr` for `host` (pending, then confirmed with the block); false when another host owns it. */
export async function tryClaim(
  core: IpamCore,
  host: string,
  cidr: string,
  reserved?: HostReservedAttr,
): Promise<boolean> {
  const affKey = core.keys.affinity(host, cidr);
  const pending: Affinity = { host, cidr, state: "pending" };
  const r1 = await core.store.txn({
    compare: [{ key: affKey, modRevision: 0 }],
    ops: [{ type: "put", key: affKey, value: JSON.stringify(pending) }],
  });
  let affRev = r1.revision;
  if (!r1.succeeded) {
    const cur = r1.current?.get(affKey);
    if (!cur) return false;
    affRev = cur.modRevision;
    if (decodeAffinity(cur).state === "confirmed") {
      const b = await core.readBlock(cidr);
      if (b !== undefined && blockHost(b.value) === host) {
        core.noteAffinity(host, cidr, true);
        return true;
      }
      // A confirmed affinity whose block is gone or another host's is stale
      // (Calico `errStaleAffinity`): claim afresh over it.
    }
  }
  return confirmClaim(core, host, cidr, affRev, reserved);
}

async function confirmClaim(
  core: IpamCore,
  host: string,
  cidr: string,
  affRev: number,
  reserved?: HostReservedAttr,
): Promise<boolean> {
  const affKey = core.keys.affinity(host, cidr);
  const blockKey = core.keys.block(cidr);
  const block = emptyBlock(cidr, host, core.now(), reserved);
  const confirmed: Affinity = { host, cidr, state: "confirmed" };
  const r = await core.store.txn({
    compare: [
      { key: blockKey, modRevision: 0 },
      { key: affKey, modRevision: affRev },
    ],
    ops: [
      { type: "put", key: blockKey, value: JSON.stringify(block) },
      { type: "put", key: affKey, value: JSON.stringify(confirmed) },
    ],
  });
  if (r.succeeded) {
    core.blocks.set(cidr, { value: block, modRevision: r.revision });
    core.noteAffinity(host, cidr, true);
    return true;
  }
  const aff = r.current?.get(affKey);
  const blk = core.cacheBlock(cidr, r.current?.get(blockKey));
  if (blk && blockHost(blk.value) === host && aff) {
    // Our own block (a concurrent claim of this host won): confirm the affinity.
    await core.store.txn({
      compare: [{ key: affKey, modRevision: aff.modRevision }],
      ops: [{ type: "put", key: affKey, value: JSON.stringify(confirmed) }],
    });
    core.noteAffinity(host, cidr, true);
    return true;
  }
  // Another host owns the block (Calico `errBlockClaimConflict`): withdraw our
  // pending affinity; a confirmed one is stale (Calico `getBlockFromAffinity`
  // deletes it and answers `errStaleAffinity`) and goes too.
  if (aff) {
    await core.store.txn({
      compare: [{ key: affKey, modRevision: aff.modRevision }],
      ops: [{ type: "delete", key: affKey }],
    });
  }
  return false;
}

/**
 * Releases `host`'s affinity to one block (Calico `releaseBlockAffinity`): an
 * empty block is deleted with it, a block in use stays without affinity
 * (borrowable). With `requireEmpty`, a block in use is left as it is and
 * {@link BlockNotEmptyError} thrown; with `blockRevision`, nothing happens
 * unless the block is still at that revision. An affinity whose block is
 * another host's is stale: it is deleted and {@link BlockClaimConflictError}
 * thrown. Returns what was done.
 */
export async function releaseOne(
  core: IpamCore,
  host: string,
  cidr: string,
  opts: { requireEmpty?: boolean; blockRevision?: number } = {},
): Promise<"deleted" | "orphaned" | "none"> {
  const affKey = core.keys.affinity(host, cidr);
  const blockKey = core.keys.block(cidr);
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    const affKv = await core.store.get(affKey);
    if (!affKv) return "none";
    const entry = await core.readBlock(cidr);
    if (opts.blockRevision !== undefined && entry?.modRevision !== opts.blockRevision) {
      return "none"; // Calico: "IPAM block updated since we last read it"
    }
    const mine = entry !== undefined && blockHost(entry.value) === host;
    if (mine && opts.requireEmpty && !isEmpty(entry.value)) {
      throw new BlockNotEmptyError(cidr, inUse(entry.value));
    }
    const ops: TxnOp[] = [{ type: "delete", key: affKey }];
    let outcome: "deleted" | "orphaned" | "none" = "none";
    if (mine) {
      if (isEmpty(entry.value)) {
        ops.push({ type: "delete", key: blockKey });
        outcome = "deleted";
      } else {
        ops.push({
          type: "put",
          key: blockKey,
          value: JSON.stringify({ ...entry.value, affinity: null, affinityClaimTime: null }),
        });
        outcome = "orphaned";
      }
    }
    const r = await core.store.txn({
      compare: [
        { key: affKey, modRevision: affKv.modRevision },
        { key: blockKey, modRevision: entry?.modRevision ?? 0 },
      ],
      ops,
    });
    if (r.succeeded) {
      core.blocks.delete(cidr);
      core.noteAffinity(host, cidr, false);
      const owner = entry ? blockHost(entry.value) : null;
      if (owner !== null && owner !== host) {
        // The affinity was stale: the block is another host's. It is deleted,
        // and the caller told (Calico `errBlockClaimConflict`).
        throw new BlockClaimConflictError(cidr, owner);
      }
      return outcome;
    }
  }
  throw new ContentionError(`release affinity ${cidr}`, core.maxRetries);
}

/** What releasing affinities did. */
export interface AffinityRelease {
  /** Empty blocks deleted with their affinity. */
  readonly deleted: string[];
  /** Blocks in use that stay without affinity (borrowable). */
  readonly orphaned: string[];
}

/**
 * Releases every block affinity of a host (Calico `ReleaseHostAffinities`).
 * With `mustBeEmpty`, blocks in use keep their affinity; the others are
 * still released and then {@link BlockNotEmptyError} is thrown for the first
 * block kept, as Calico returns its stored error.
 */
export async function releaseHostAffinities(
  core: IpamCore,
  host: string,
  mustBeEmpty = false,
): Promise<AffinityRelease> {
  const out: AffinityRelease = { deleted: [], orphaned: [] };
  let kept: BlockNotEmptyError | undefined;
  for (const a of await core.listAffinities(host)) {
    try {
      const r = await releaseOne(core, host, a.value.cidr, { requireEmpty: mustBeEmpty });
      if (r === "deleted") out.deleted.push(a.value.cidr);
      if (r === "orphaned") out.orphaned.push(a.value.cidr);
    } catch (e) {
      if (e instanceof BlockClaimConflictError) continue; // stale affinity, now gone
      if (!(e instanceof BlockNotEmptyError)) throw e;
      kept ??= e;
    }
  }
  core.hostBlocks.delete(host);
  core.hostPending.delete(host);
  if (kept) throw kept;
  return out;
}

/**
 * Releases `host`'s affinity for every block inside `cidr` (Calico
 * `ReleaseAffinity`). `cidr` must lie in a configured pool
 * ({@link AddressNotInPoolError}) and be at least one block large
 * ({@link InvalidSizeError}). Blocks not affine to the host are left alone;
 * with `mustBeEmpty` a block in use throws {@link BlockNotEmptyError}.
 */
export async function releaseAffinity(
  core: IpamCore,
  cidr: string,
  host: string,
  mustBeEmpty: boolean,
): Promise<AffinityRelease> {
  const { c } = await poolBlockRange(core, cidr);
  const out: AffinityRelease = { deleted: [], orphaned: [] };
  for (const a of await core.listAffinities(host)) {
    const bc = parseCidr(a.value.cidr);
    if (!contains(c, { family: bc.family, value: bc.base })) continue;
    const r = await releaseOne(core, host, a.value.cidr, { requireEmpty: mustBeEmpty }).catch(
      ignoreClaimConflict,
    );
    if (r === "deleted") out.deleted.push(a.value.cidr);
    if (r === "orphaned") out.orphaned.push(a.value.cidr);
  }
  return out;
}

/** Calico's callers ignore `errBlockClaimConflict` (not claimed by this host). */
function ignoreClaimConflict(e: unknown): "none" {
  if (e instanceof BlockClaimConflictError) return "none";
  throw e;
}

/**
 * Releases every host's affinity for the blocks of one pool, named by name
 * or CIDR (Calico `ReleasePoolAffinities`, used before a pool is deleted):
 * empty blocks are deleted, blocks in use stay without affinity.
 */
export async function releasePoolAffinities(
  core: IpamCore,
  pool: string,
): Promise<AffinityRelease> {
  const cfg = await core.config(true);
  const p = cfg.pools.find((x) => x.name === pool || x.cidr === pool);
  const pc = parseCidr(p?.cidr ?? pool);
  const out: AffinityRelease = { deleted: [], orphaned: [] };
  for (const a of await core.listAffinities()) {
    const bc = parseCidr(a.value.cidr);
    if (!contains(pc, { family: bc.family, value: bc.base })) continue;
    const r = await releaseOne(core, a.value.host, a.value.cidr).catch(ignoreClaimConflict);
    if (r === "deleted") out.deleted.push(a.value.cidr);
    if (r === "orphaned") out.orphaned.push(a.value.cidr);
  }
  return out;
}

/**
 * Claims every block inside `cidr` for `host` (Calico `ClaimAffinity`).
 * Returns the blocks claimed (or already the host's) and those another host
 * owns. `cidr` must lie in a configured pool and be at least one block large.
 */
export async function claimAffinity(
  core: IpamCore,
  cidr: string,
  host: string,
): Promise<{ claimed: string[]; failed: string[] }> {
  const { pool, c } = await poolBlockRange(core, cidr);
  const claimed: string[] = [];
  const failed: string[] = [];
  const n = 1n << BigInt(pool.blockSize - c.prefix);
  if (n > BigInt(MAX_BLOCKS_PER_CLAIM)) {
    throw new InvalidSizeError(formatCidr(c), pool.blockSize, "tooManyBlocks");
  }
  const step = 1n << BigInt((c.family === 4 ? 32 : 128) - pool.blockSize);
  for (let i = 0n; i < n; i++) {
    const b = formatCidr({ family: c.family, base: c.base + i * step, prefix: pool.blockSize });
    if (await tryClaim(core, host, b)) claimed.push(b);
    else failed.push(b);
  }
  return { claimed, failed };
}

/** The enabled pool holding `cidr`, checked to be at least one block large. */
async function poolBlockRange(
  core: IpamCore,
  cidr: string,
): Promise<{ pool: Pool; c: ReturnType<typeof parseCidr> }> {
  const c = parseCidr(cidr);
  const cfg = await core.config();
  const ip = { family: c.family, value: c.base };
  const pool = cfg.pools.find((p) => !p.disabled && contains(parseCidr(p.cidr), ip));
  if (!pool) throw new AddressNotInPoolError(formatCidr(c));
  if (c.prefix > pool.blockSize) throw new InvalidSizeError(formatCidr(c), pool.blockSize);
  return { pool, c };
}
