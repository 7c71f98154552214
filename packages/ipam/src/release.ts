// Release: by address (Calico `ReleaseIPs` / `releaseIPsFromBlock`), by
// handle (`ReleaseByHandle` / `releaseByHandle`), and the handle lookup
// `IPsByHandle`. A release guarded by a sequence number or handle that no
// longer matches fails with ReleaseConflictError and frees nothing.
import type { TxnOp } from "@tortie/datastore";
import { releaseOne } from "./affinity.js";
import {
  blockHost,
  ipAt,
  isEmpty,
  ordinalOf,
  ordinalsOfHandle,
  type ReleaseConflict,
  type ReleaseRequest,
  release,
} from "./block.js";
import { formatCidr, parseCidr, parseIp } from "./cidr.js";
import type { IpamCore } from "./core.js";
import { ContentionError, HandleNotFoundError, ReleaseConflictError } from "./errors.js";
import { type Block, blockName } from "./model.js";
import { blockOf, poolOf, selects, selectsAll } from "./pools.js";
import { adjustHandle, decodeBlock, decodeHandle, type Versioned } from "./records.js";

/** An address to release, optionally guarded by handle and sequence number (Calico `ReleaseOptions`). */
export interface ReleaseSpec {
  readonly ip: string;
  /** Release only if the address is held by this handle. */
  readonly handleId?: string;
  /** Release only if the address carries this sequence number (the one its assignment returned). */
  readonly sequenceNumber?: number;
}

/** What {@link releaseIps} did. */
export interface ReleaseResult {
  /** Addresses released. */
  readonly released: string[];
  /** Addresses that were not allocated (free already, or in no block or pool; Calico's `unallocated`). */
  readonly unallocated: string[];
}

/**
 * Releases addresses (Calico `ReleaseIPs`). An address outside every pool and
 * block is reported as not allocated. A spec whose `sequenceNumber` or
 * `handleId` does not match the current allocation makes the call fail with
 * {@link ReleaseConflictError}: every block is checked before any is
 * written, so a stale release frees nothing. (Should a block change between
 * the check and its write, it is checked again; blocks released before that
 * are listed in the error's `releasedBefore`.)
 */
export async function releaseIps(
  core: IpamCore,
  specs: readonly (string | ReleaseSpec)[],
): Promise<ReleaseResult> {
  const cfg = await core.config();
  const byBlock = new Map<string, { reqs: ReleaseRequest[]; ips: string[] }>();
  const unallocated: string[] = [];
  let listed = false;
  for (const s of specs) {
    const spec = typeof s === "string" ? { ip: s } : s;
    const ip = parseIp(spec.ip);
    const pool = poolOf(cfg, ip);
    let c = pool ? blockOf(pool, ip) : undefined;
    if (!c) {
      // The pool may be gone while its blocks remain: look for its block (Calico `getBlockForIP`).
      const find = () =>
        [...core.blocks.values()].find((v) => ordinalOf(parseCidr(v.value.cidr), ip) >= 0);
      let b = find();
      if (!b && !listed) {
        await core.listBlocks();
        listed = true;
        b = find();
      }
      if (!b) {
        unallocated.push(spec.ip);
        continue;
      }
      c = parseCidr(b.value.cidr);
    }
    const cidr = formatCidr(c);
    const group = byBlock.get(cidr) ?? { reqs: [], ips: [] };
    group.reqs.push({
      ordinal: ordinalOf(c, ip),
      ...(spec.handleId === undefined ? {} : { handleId: spec.handleId }),
      ...(spec.sequenceNumber === undefined ? {} : { sequenceNumber: spec.sequenceNumber }),
    });
    group.ips.push(spec.ip);
    byBlock.set(cidr, group);
  }
  // Check every block first (fresh when the cache disagrees), so that a
  // conflict anywhere frees nothing anywhere.
  const entries = new Map<string, Versioned<Block> | undefined>();
  for (const [cidr, g] of byBlock) {
    const entry = await currentFor(core, cidr, g.reqs);
    const r = entry ? release(entry.value, g.reqs) : undefined;
    if (r?.conflict) throw conflictError(cidr, r.conflict, []);
    entries.set(cidr, entry);
  }
  const released: string[] = [];
  for (const [cidr, g] of byBlock) {
    const r = await releaseInBlock(core, cidr, g.reqs, entries.get(cidr), released);
    released.push(...r.released);
    unallocated.push(...r.unallocated);
  }
  return { released, unallocated };
}

function conflictError(
  cidr: string,
  c: ReleaseConflict,
  before: readonly string[],
): ReleaseConflictError {
  return new ReleaseConflictError(
    ipAt(parseCidr(cidr), c.ordinal),
    c.field,
    c.requested,
    c.expected,
    before,
  );
}

/** The block as cached, or read afresh when the cached copy would refuse or find nothing to do. */
async function currentFor(
  core: IpamCore,
  cidr: string,
  reqs: readonly ReleaseRequest[],
): Promise<Versioned<Block> | undefined> {
  const cached = core.blocks.get(cidr);
  if (cached) {
    const r = release(cached.value, reqs);
    if (!r.conflict && r.released.length > 0) return cached;
  }
  return core.readBlock(cidr);
}

async function releaseInBlock(
  core: IpamCore,
  cidr: string,
  reqs: readonly ReleaseRequest[],
  first: Versioned<Block> | undefined,
  before: readonly string[],
): Promise<ReleaseResult> {
  const blockKey = core.keys.block(cidr);
  const c = parseCidr(cidr);
  const name = blockName(cidr);
  const all = () => reqs.map((r) => ipAt(c, r.ordinal));
  let entry = first;
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    if (!entry) return { released: [], unallocated: all() }; // no block: nothing allocated
    const { block, released, unallocated, conflict } = release(entry.value, reqs);
    if (conflict) throw conflictError(cidr, conflict, before);
    const free = unallocated.map((o) => ipAt(c, o));
    if (released.length === 0) return { released: [], unallocated: free };
    // Count released addresses per handle, and read those handles.
    const perHandle = new Map<string, number>();
    for (const r of released) {
      if (r.handleId !== null) perHandle.set(r.handleId, (perHandle.get(r.handleId) ?? 0) + 1);
    }
    const compare = [{ key: blockKey, modRevision: entry.modRevision }];
    const ops: TxnOp[] = [];
    for (const [h, count] of perHandle) {
      const key = core.keys.handle(h);
      const kv = await core.store.get(key);
      compare.push({ key, modRevision: kv?.modRevision ?? 0 });
      if (!kv) continue; // inconsistent (check reports it); the block is still freed
      const next = adjustHandle(decodeHandle(kv), h, name, -count);
      ops.push(next ? { type: "put", key, value: JSON.stringify(next) } : { type: "delete", key });
    }
    // An empty block nobody is affine to is deleted (Calico `releaseIPsFromBlock`).
    const drop = isEmpty(block) && block.affinity === null;
    ops.push(
      drop
        ? { type: "delete", key: blockKey }
        : { type: "put", key: blockKey, value: JSON.stringify(block) },
    );
    const r = await core.store.txn({ compare, ops });
    if (r.succeeded) {
      if (drop) core.blocks.delete(cidr);
      else core.blocks.set(cidr, { value: block, modRevision: r.revision });
      if (!drop && isEmpty(block)) await ensureConsistentAffinity(core, block);
      return { released: released.map((x) => ipAt(c, x.ordinal)), unallocated: free };
    }
    const cur = r.current?.get(blockKey);
    entry = cur ? core.cacheBlock(cidr, cur) : await core.readBlock(cidr);
  }
  throw new ContentionError(`release in block ${cidr}`, core.maxRetries);
}

/**
 * After a block is emptied: when its pool's nodeSelector no longer selects
 * the block's host, the host's affinity is released and the empty block
 * deleted (Calico `ensureConsistentAffinity`, called from
 * `releaseIPsFromBlock`). Pools selecting every node cost nothing here.
 * Best effort, as in Calico: the addresses are released whatever happens.
 */
async function ensureConsistentAffinity(core: IpamCore, block: Block): Promise<void> {
  const host = blockHost(block);
  if (host === null) return;
  const cfg = await core.config();
  const c = parseCidr(block.cidr);
  const pool = poolOf(cfg, { family: c.family, value: c.base });
  if (!pool || selectsAll(pool.nodeSelector)) return;
  try {
    if (selects(pool, await core.nodeLabels(host), core.selector)) return;
    await releaseOne(core, host, block.cidr, { requireEmpty: true });
  } catch {
    // Calico logs and returns no error: the release itself succeeded.
  }
}

/**
 * Releases every address of a handle and the handle itself (Calico
 * `ReleaseByHandle`). Returns the addresses. An unknown handle releases
 * nothing; with `mustExist` it throws {@link HandleNotFoundError} as Calico
 * does (the CNI DEL path wants the lenient answer).
 */
export async function releaseByHandle(
  core: IpamCore,
  handleId: string,
  opts: { mustExist?: boolean } = {},
): Promise<string[]> {
  const key = core.keys.handle(handleId);
  const out: string[] = [];
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    const kv = await core.store.get(key);
    if (!kv) {
      if (opts.mustExist && attempt === 0) throw new HandleNotFoundError(handleId);
      return out;
    }
    const h = decodeHandle(kv);
    const name = Object.keys(h.block)[0];
    if (name === undefined) {
      await core.store.txn({
        compare: [{ key, modRevision: kv.modRevision }],
        ops: [{ type: "delete", key }],
      });
      continue;
    }
    const cidr = await cidrOfBlockName(core, name);
    const blockKey = cidr ? core.keys.block(cidr) : `${core.keys.blocksPrefix}${name}`;
    const entry = cidr ? (core.blocks.get(cidr) ?? (await core.readBlock(cidr))) : undefined;
    const next = adjustHandle(h, handleId, name, -(h.block[name] ?? 0));
    const handleOp: TxnOp = next
      ? { type: "put", key, value: JSON.stringify(next) }
      : { type: "delete", key };
    if (!entry || !cidr) {
      // The block is gone: drop it from the handle.
      await core.store.txn({
        compare: [
          { key, modRevision: kv.modRevision },
          { key: blockKey, modRevision: 0 },
        ],
        ops: [handleOp],
      });
      continue;
    }
    const ords = ordinalsOfHandle(entry.value, handleId);
    const { block } = release(
      entry.value,
      ords.map((ordinal) => ({ ordinal, handleId })),
    );
    const drop = isEmpty(block) && block.affinity === null;
    const r = await core.store.txn({
      compare: [
        { key, modRevision: kv.modRevision },
        { key: blockKey, modRevision: entry.modRevision },
      ],
      ops: [
        handleOp,
        drop
          ? { type: "delete", key: blockKey }
          : { type: "put", key: blockKey, value: JSON.stringify(block) },
      ],
    });
    if (r.succeeded) {
      if (drop) core.blocks.delete(cidr);
      else core.blocks.set(cidr, { value: block, modRevision: r.revision });
      out.push(...ords.map((o) => ipAt(parseCidr(cidr), o)));
      if (!drop && isEmpty(block)) await ensureConsistentAffinity(core, block);
      if (!next) return out;
    } else {
      core.cacheBlock(cidr, r.current?.get(blockKey));
    }
  }
  throw new ContentionError(`release handle ${handleId}`, core.maxRetries);
}

async function cidrOfBlockName(core: IpamCore, name: string): Promise<string | undefined> {
  for (const [cidr] of core.blocks) if (blockName(cidr) === name) return cidr;
  const kv = await core.store.get(`${core.keys.blocksPrefix}${name}`);
  if (!kv) return undefined;
  const b = decodeBlock(kv);
  core.blocks.set(b.cidr, { value: b, modRevision: kv.modRevision });
  return b.cidr;
}

/**
 * The addresses a handle holds (Calico `IPsByHandle`). An unknown handle
 * holds none; with `mustExist` it throws {@link HandleNotFoundError} as Calico does.
 */
export async function ipsByHandle(
  core: IpamCore,
  handleId: string,
  opts: { mustExist?: boolean } = {},
): Promise<string[]> {
  const kv = await core.store.get(core.keys.handle(handleId));
  if (!kv) {
    if (opts.mustExist) throw new HandleNotFoundError(handleId);
    return [];
  }
  const out: string[] = [];
  for (const name of Object.keys(decodeHandle(kv).block)) {
    const bkv = await core.store.get(`${core.keys.blocksPrefix}${name}`);
    if (!bkv) continue;
    const b = decodeBlock(bkv);
    const c = parseCidr(b.cidr);
    for (const o of ordinalsOfHandle(b, handleId)) out.push(ipAt(c, o));
  }
  return out;
}
