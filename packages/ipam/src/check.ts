// `check` and `repair`: find what crashes and bugs leave behind, and fix it
// without ever touching an address in use (after `calicoctl ipam check` /
// `calicoctl ipam release --from-report`, and kube-controllers' IPAM GC with
// its leak grace period).
//
// check  reads every block, handle and affinity and reports
//   - leaks: allocations whose handle no longer matches a live workload
//   - handle mismatches: a handle's per-block count ≠ what the blocks hold,
//     allocations without a handle record
//   - affinity problems: pending affinities, affinities without their block,
//     affine blocks without an affinity record
//   - block problems: broken free lists; double allocations (one address in
//     two blocks, possible only with overlapping blocks)
// repair acts on a report only after the grace period, and re-verifies each
//   item at the moment of writing: a leak is released only if the address
//   still has the same handle and sequence number AND the handle is still
//   not live; an affinity is removed only if unchanged since the report.
import type { TxnOp } from "@tortie/datastore";
import { blockHost, blockProblems, handleAt, ipAt } from "./block.js";
import { parseCidr } from "./cidr.js";
import { ReleaseConflictError } from "./errors.js";
import type { Ipam } from "./ipam.js";
import { type Affinity, type Block, blockName, WINDOWS_RESERVED_HANDLE } from "./model.js";
import { adjustHandle, decodeBlock, decodeHandle } from "./records.js";
import type { ReleaseSpec } from "./release.js";

/** Decides whether a handle belongs to a live workload (pod exists, container running). */
export type LivenessFn = (
  handleId: string,
  attrs: Readonly<Record<string, string>>,
) => boolean | Promise<boolean>;

/** An allocation whose workload is gone. */
export interface Leak {
  readonly ip: string;
  readonly block: string;
  readonly handleId: string | null;
  readonly sequenceNumber: number;
  readonly attrs: Readonly<Record<string, string>>;
}

/** A handle whose counts disagree with the blocks. */
export interface HandleMismatch {
  readonly handleId: string;
  /** Per block name: what the handle records. */
  readonly recorded: Readonly<Record<string, number>>;
  /** Per block name: what the blocks hold. */
  readonly actual: Readonly<Record<string, number>>;
  /** The handle record's revision (0 when absent). */
  readonly modRevision: number;
}

/** An affinity/block inconsistency. */
export interface AffinityProblem {
  readonly kind: "pending" | "missing-block" | "missing-affinity" | "host-mismatch";
  readonly host: string;
  readonly cidr: string;
  /** The affinity record's revision (0 when absent). */
  readonly modRevision: number;
}

/** One address held in more than one block. */
export interface DoubleAllocation {
  readonly ip: string;
  readonly holders: readonly { block: string; handleId: string | null; sequenceNumber: number }[];
}

/** What {@link check} found. */
export interface CheckReport {
  /** When the report was made (ms, from the caller's clock). */
  readonly generatedAt: number;
  readonly allocations: number;
  readonly leaks: readonly Leak[];
  readonly handleMismatches: readonly HandleMismatch[];
  readonly affinityProblems: readonly AffinityProblem[];
  readonly blockProblems: readonly { block: string; problems: readonly string[] }[];
  readonly doubleAllocations: readonly DoubleAllocation[];
}

/** True when a report found nothing to repair. */
export function isClean(r: CheckReport): boolean {
  return (
    r.leaks.length === 0 &&
    r.handleMismatches.length === 0 &&
    r.affinityProblems.length === 0 &&
    r.blockProblems.length === 0 &&
    r.doubleAllocations.length === 0
  );
}

/** Scans every IPAM record and reports problems. */
export async function check(
  ipam: Ipam,
  opts: { isLive: LivenessFn; now: number },
): Promise<CheckReport> {
  const blocks = await ipam.listBlocks();
  const handles = await ipam.listHandles();
  const affinities = await ipam.listAffinities();

  const leaks: Leak[] = [];
  const actual = new Map<string, Record<string, number>>();
  const owners = new Map<string, DoubleAllocation["holders"][number][]>();
  const blockProblemsOut: { block: string; problems: string[] }[] = [];
  let allocations = 0;
  for (const b of blocks) {
    const p = blockProblems(b);
    if (p.length) blockProblemsOut.push({ block: b.cidr, problems: p });
    const c = parseCidr(b.cidr);
    const name = blockName(b.cidr);
    for (let o = 0; o < b.allocations.length; o++) {
      const idx = b.allocations[o];
      if (idx === null || idx === undefined) continue;
      allocations++;
      const attr = b.attributes[idx];
      const handleId = attr?.handleId ?? null;
      const ip = ipAt(c, o);
      const seq = b.sequenceNumberForAllocation[String(o)] ?? 0;
      const holders = owners.get(ip) ?? [];
      holders.push({ block: b.cidr, handleId, sequenceNumber: seq });
      owners.set(ip, holders);
      // Host-reserved addresses (Calico's Windows reservation) have no handle
      // record and belong to no workload: neither leaks nor handle mismatches.
      if (handleId?.toLowerCase() === WINDOWS_RESERVED_HANDLE) continue;
      if (handleId !== null) {
        const per = actual.get(handleId) ?? {};
        per[name] = (per[name] ?? 0) + 1;
        actual.set(handleId, per);
      }
      const live = handleId !== null && (await opts.isLive(handleId, attr?.secondary ?? {}));
      if (!live) {
        leaks.push({
          ip,
          block: b.cidr,
          handleId,
          sequenceNumber: seq,
          attrs: attr?.secondary ?? {},
        });
      }
    }
  }

  const handleMismatches: HandleMismatch[] = [];
  const seenHandles = new Set<string>();
  for (const h of handles) {
    seenHandles.add(h.value.handleId);
    const act = actual.get(h.value.handleId) ?? {};
    if (!sameCounts(h.value.block, act)) {
      handleMismatches.push({
        handleId: h.value.handleId,
        recorded: h.value.block,
        actual: act,
        modRevision: h.modRevision,
      });
    }
  }
  for (const [handleId, act] of actual) {
    if (!seenHandles.has(handleId)) {
      handleMismatches.push({ handleId, recorded: {}, actual: act, modRevision: 0 });
    }
  }

  const affinityProblems: AffinityProblem[] = [];
  const byCidr = new Map<string, Block>(blocks.map((b) => [b.cidr, b]));
  const affKeys = new Set<string>();
  for (const a of affinities) {
    const { host, cidr, state } = a.value;
    affKeys.add(`${host}|${cidr}`);
    const b = byCidr.get(cidr);
    if (state === "pending")
      affinityProblems.push({ kind: "pending", host, cidr, modRevision: a.modRevision });
    else if (!b)
      affinityProblems.push({ kind: "missing-block", host, cidr, modRevision: a.modRevision });
    else if (blockHost(b) !== host) {
      affinityProblems.push({ kind: "host-mismatch", host, cidr, modRevision: a.modRevision });
    }
  }
  for (const b of blocks) {
    const host = blockHost(b);
    if (host !== null && !affKeys.has(`${host}|${b.cidr}`)) {
      affinityProblems.push({ kind: "missing-affinity", host, cidr: b.cidr, modRevision: 0 });
    }
  }

  const doubleAllocations: DoubleAllocation[] = [];
  for (const [ip, holders] of owners)
    if (holders.length > 1) doubleAllocations.push({ ip, holders });

  return {
    generatedAt: opts.now,
    allocations,
    leaks,
    handleMismatches,
    affinityProblems,
    blockProblems: blockProblemsOut,
    doubleAllocations,
  };
}

function sameCounts(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): boolean {
  const ka = Object.keys(a).filter((k) => (a[k] ?? 0) > 0);
  const kb = Object.keys(b).filter((k) => (b[k] ?? 0) > 0);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/** What {@link repair} did. */
export interface RepairResult {
  readonly releasedLeaks: readonly string[];
  /** Leaks left alone: now live, re-assigned since the report, or inside the grace period. */
  readonly skippedLeaks: readonly string[];
  readonly fixedHandles: readonly string[];
  readonly fixedAffinities: readonly string[];
  readonly fixedBlocks: readonly string[];
}

/** Options of {@link repair}. */
export interface RepairOptions {
  readonly isLive: LivenessFn;
  /** The caller's clock, ms. */
  readonly now: number;
  /** Act only on a report at least this old, ms (a leak must persist this long). */
  readonly graceMs: number;
}

/**
 * Repairs what a report found, re-verifying each item when writing. Items
 * that changed since the report are skipped (run check again). Returns what
 * it did; nothing in use is ever released.
 */
export async function repair(
  ipam: Ipam,
  report: CheckReport,
  opts: RepairOptions,
): Promise<RepairResult> {
  const tooRecent = opts.now - report.generatedAt < opts.graceMs;
  const releasedLeaks: string[] = [];
  const skippedLeaks: string[] = [];
  const fixedHandles: string[] = [];
  const fixedAffinities: string[] = [];
  const fixedBlocks: string[] = [];
  if (tooRecent) {
    return {
      releasedLeaks,
      skippedLeaks: report.leaks.map((l) => l.ip),
      fixedHandles,
      fixedAffinities,
      fixedBlocks,
    };
  }
  const store = ipam.store;
  const keys = ipam.keys;

  // Block structure first: rebuild free lists from the allocation array
  // (allocated ordinals stay allocated; only the free list changes).
  for (const bp of report.blockProblems) {
    const key = keys.block(bp.block);
    const kv = await store.get(key);
    if (!kv) continue;
    const b = decodeBlock(kv);
    const fixedAttrs = b.allocations.map((a) =>
      a !== null && (a < 0 || a >= b.attributes.length) ? null : a,
    );
    const allocs = fixedAttrs.map((a, o) =>
      b.allocations[o] !== null && a === null ? b.attributes.length : a,
    );
    const attributes = allocs.some((a) => a === b.attributes.length)
      ? [...b.attributes, { handleId: null, secondary: {} }]
      : b.attributes;
    const unallocated = allocs.flatMap((a, o) => (a === null ? [o] : []));
    const r = await store.txn({
      compare: [{ key, modRevision: kv.modRevision }],
      ops: [
        {
          type: "put",
          key,
          value: JSON.stringify({ ...b, allocations: allocs, attributes, unallocated }),
        },
      ],
    });
    if (r.succeeded) fixedBlocks.push(bp.block);
  }
  ipam.invalidateCache();

  // Leaks: guarded release, re-checking liveness now.
  for (const l of report.leaks) {
    if (l.handleId !== null && (await opts.isLive(l.handleId, l.attrs))) {
      skippedLeaks.push(l.ip);
      continue;
    }
    const done = await guardedRelease(ipam, {
      ip: l.ip,
      sequenceNumber: l.sequenceNumber,
      ...(l.handleId === null ? {} : { handleId: l.handleId }),
    });
    if (done) releasedLeaks.push(l.ip);
    else skippedLeaks.push(l.ip);
  }

  // Handles: make each agree with the blocks, read afresh.
  const leakHandles = new Set(report.leaks.map((l) => l.handleId));
  const toFix = new Set([
    ...report.handleMismatches.map((m) => m.handleId),
    ...[...leakHandles].filter((h): h is string => h !== null),
  ]);
  if (toFix.size) {
    const blocks = await ipam.listBlocks();
    for (const handleId of toFix) {
      const key = keys.handle(handleId);
      const kv = await store.get(key);
      const act: Record<string, number> = {};
      for (const b of blocks) {
        const name = blockName(b.cidr);
        b.allocations.forEach((_, o) => {
          if (handleAt(b, o) === handleId) act[name] = (act[name] ?? 0) + 1;
        });
      }
      const rec = kv ? decodeHandle(kv).block : {};
      if (sameCounts(rec, act)) continue;
      let next: ReturnType<typeof adjustHandle>;
      for (const [name, n] of Object.entries(act)) next = adjustHandle(next, handleId, name, n);
      const r = await store.txn({
        compare: [{ key, modRevision: kv?.modRevision ?? 0 }],
        ops: [next ? { type: "put", key, value: JSON.stringify(next) } : { type: "delete", key }],
      });
      if (r.succeeded) fixedHandles.push(handleId);
    }
  }

  // Affinities.
  for (const p of report.affinityProblems) {
    const affKey = keys.affinity(p.host, p.cidr);
    const blockKey = keys.block(p.cidr);
    const ops: TxnOp[] = [];
    const compare = [{ key: affKey, modRevision: p.modRevision }];
    if (p.kind === "missing-affinity") {
      const confirmed: Affinity = { host: p.host, cidr: p.cidr, state: "confirmed" };
      const bkv = await store.get(blockKey);
      if (!bkv || blockHost(decodeBlock(bkv)) !== p.host) continue;
      compare.push({ key: blockKey, modRevision: bkv.modRevision });
      ops.push({ type: "put", key: affKey, value: JSON.stringify(confirmed) });
    } else {
      // pending (an abandoned claim), missing-block, host-mismatch: the
      // affinity record is wrong; the block (if any) is left as it is. A
      // pending claim whose block exists affine to its host is confirmed instead.
      const bkv = await store.get(blockKey);
      const owned = bkv !== undefined && blockHost(decodeBlock(bkv)) === p.host;
      if (p.kind === "pending" && owned) {
        const confirmed: Affinity = { host: p.host, cidr: p.cidr, state: "confirmed" };
        ops.push({ type: "put", key: affKey, value: JSON.stringify(confirmed) });
      } else ops.push({ type: "delete", key: affKey });
      compare.push({ key: blockKey, modRevision: bkv?.modRevision ?? 0 });
    }
    const r = await store.txn({ compare, ops });
    if (r.succeeded) fixedAffinities.push(`${p.host} ${p.cidr}`);
  }
  // Double allocations: release the holders that are not live (guarded).
  for (const d of report.doubleAllocations) {
    for (const h of d.holders) {
      const live = h.handleId !== null && (await opts.isLive(h.handleId, {}));
      if (live) continue;
      const blockKey = keys.block(h.block);
      const kv = await store.get(blockKey);
      if (!kv) continue;
      const b = decodeBlock(kv);
      const c = parseCidr(h.block);
      const o = b.allocations.findIndex((_, i) => ipAt(c, i) === d.ip);
      if (o < 0 || b.sequenceNumberForAllocation[String(o)] !== h.sequenceNumber) continue;
      const done = await guardedRelease(ipam, { ip: d.ip, sequenceNumber: h.sequenceNumber });
      if (done) releasedLeaks.push(d.ip);
    }
  }
  ipam.invalidateCache();
  return { releasedLeaks, skippedLeaks, fixedHandles, fixedAffinities, fixedBlocks };
}

/** Releases one address if it still carries the guards; false when it changed since the report. */
async function guardedRelease(ipam: Ipam, spec: ReleaseSpec): Promise<boolean> {
  try {
    return (await ipam.releaseIps([spec])).released.length > 0;
  } catch (e) {
    if (e instanceof ReleaseConflictError) return false;
    throw e;
  }
}
