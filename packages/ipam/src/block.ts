// Pure operations on one allocation block: assign, assign a given address,
// release (guarded by handle and sequence number), usage. Every function
// returns a new block; nothing here touches the store.
import { type Cidr, formatIp, type Ip, parseCidr, sizeOf } from "./cidr.js";
import {
  type AllocationAttribute,
  type Block,
  type HostReservedAttr,
  WINDOWS_RESERVED_HANDLE,
} from "./model.js";

/**
 * Sequence numbers are spaced by this much per datastore revision: more than
 * the largest block holds (a /20 or /116 block: 4,096 addresses).
 */
export const SEQ_STRIDE = 4096;

/**
 * The lowest sequence number an assignment may take in a block read at
 * `modRevision`. Every assignment commits at a revision above the one its
 * block was read at, and a block that is deleted and created again is
 * created at a revision above every write to its earlier life; so numbers
 * drawn from this floor never repeat for one address, whatever happened to
 * the block in between. (Calico seeds a new block's `SequenceNumber` from the
 * clock in `newBlock` for the same reason; a revision cannot go backwards.)
 */
export function sequenceFloor(modRevision: number): number {
  return (modRevision + 1) * SEQ_STRIDE;
}

/** An address handed out from a block. */
export interface Assigned {
  readonly ip: string;
  readonly ordinal: number;
  readonly sequenceNumber: number;
}

/**
 * A new, empty block for `cidr`, affine to `host` (or to none), claimed at
 * `claimTime` (ms). With `reserved`, the first `startOfBlock` and last
 * `endOfBlock` addresses are held under its handle from the start (Calico
 * `newBlock` with a `HostReservedAttr`).
 */
export function emptyBlock(
  cidr: string,
  host: string | null,
  claimTime: number | null = null,
  reserved?: HostReservedAttr,
): Block {
  const n = Number(sizeOf(parseCidr(cidr)));
  const allocations: (number | null)[] = new Array<null>(n).fill(null);
  let unallocated = Array.from({ length: n }, (_, i) => i);
  const attributes: AllocationAttribute[] = [];
  if (reserved && reserved.startOfBlock + reserved.endOfBlock > 0) {
    unallocated = unallocated.slice(reserved.startOfBlock, n - reserved.endOfBlock);
    for (let o = 0; o < reserved.startOfBlock; o++) allocations[o] = 0;
    for (let o = n - reserved.endOfBlock; o < n; o++) allocations[o] = 0;
    attributes.push({ handleId: reserved.handle, secondary: { note: reserved.note } });
  }
  return {
    cidr,
    affinity: host === null ? null : `host:${host}`,
    allocations,
    unallocated,
    attributes,
    sequenceNumber: 0,
    sequenceNumberForAllocation: {},
    affinityClaimTime: host === null ? null : claimTime,
  };
}

/** The host a block is affine to, or null. */
export function blockHost(b: Block): string | null {
  return b.affinity?.startsWith("host:") ? b.affinity.slice(5) : null;
}

/** The address at an ordinal. */
export function ipAt(c: Cidr, ordinal: number): string {
  return formatIp(c.family, c.base + BigInt(ordinal));
}

/** The ordinal of `ip` in block `c`, or -1 when outside. */
export function ordinalOf(c: Cidr, ip: Ip): number {
  if (ip.family !== c.family) return -1;
  const off = ip.value - c.base;
  return off < 0n || off >= sizeOf(c) ? -1 : Number(off);
}

/** Number of addresses in use. */
export function inUse(b: Block): number {
  return b.allocations.length - b.unallocated.length;
}

/**
 * True when no assignable address is in use: addresses held under the
 * Windows reserved handle do not count (Calico `allocationBlock.empty`).
 */
export function isEmpty(b: Block): boolean {
  if (b.unallocated.length === b.allocations.length) return true;
  return b.allocations.every(
    (a) => a === null || b.attributes[a]?.handleId?.toLowerCase() === WINDOWS_RESERVED_HANDLE,
  );
}

function withAttribute(
  attrs: readonly AllocationAttribute[],
  a: AllocationAttribute,
): { attributes: AllocationAttribute[]; index: number } {
  const key = JSON.stringify(a.secondary);
  const i = attrs.findIndex(
    (x) => x.handleId === a.handleId && JSON.stringify(x.secondary) === key,
  );
  if (i >= 0) return { attributes: [...attrs], index: i };
  return { attributes: [...attrs, a], index: attrs.length };
}

/**
 * Assigns up to `n` free addresses in the order of the free list, skipping
 * those `excluded` says are reserved (Calico `allocationBlock.autoAssign`).
 * Sequence numbers start at `floor` (see {@link sequenceFloor}) or above the
 * block's last. Returns the new block and what was assigned (possibly fewer than n).
 */
export function assign(
  b: Block,
  n: number,
  attr: AllocationAttribute,
  excluded: (ordinal: number) => boolean = () => false,
  floor = 0,
): { block: Block; assigned: Assigned[] } {
  const c = parseCidr(b.cidr);
  const take: number[] = [];
  for (const o of b.unallocated) {
    if (take.length >= n) break;
    if (!excluded(o)) take.push(o);
  }
  if (take.length === 0) return { block: b, assigned: [] };
  const { attributes, index } = withAttribute(b.attributes, attr);
  const allocations = [...b.allocations];
  const seqFor = { ...b.sequenceNumberForAllocation };
  let seq = Math.max(b.sequenceNumber, floor - 1);
  const assigned: Assigned[] = [];
  for (const o of take) {
    allocations[o] = index;
    seq += 1;
    seqFor[String(o)] = seq;
    assigned.push({ ip: ipAt(c, o), ordinal: o, sequenceNumber: seq });
  }
  const taken = new Set(take);
  return {
    block: {
      ...b,
      allocations,
      unallocated: b.unallocated.filter((o) => !taken.has(o)),
      attributes,
      sequenceNumber: seq,
      sequenceNumberForAllocation: seqFor,
    },
    assigned,
  };
}

/** Assigns the address at `ordinal` (Calico `allocationBlock.assign`); undefined when it is taken. */
export function assignOrdinal(
  b: Block,
  ordinal: number,
  attr: AllocationAttribute,
  floor = 0,
): { block: Block; assigned: Assigned } | undefined {
  if (b.allocations[ordinal] !== null) return undefined;
  const r = assign({ ...b, unallocated: [ordinal] }, 1, attr, undefined, floor);
  const a = r.assigned[0];
  if (!a) return undefined;
  return {
    block: { ...r.block, unallocated: b.unallocated.filter((o) => o !== ordinal) },
    assigned: a,
  };
}

/** The handle of the address at `ordinal`, or undefined when free. */
export function handleAt(b: Block, ordinal: number): string | null | undefined {
  const i = b.allocations[ordinal];
  if (i === null || i === undefined) return undefined;
  return b.attributes[i]?.handleId ?? null;
}

/** What to release in a block: ordinals with optional guards. */
export interface ReleaseRequest {
  readonly ordinal: number;
  /** Release only if the address still belongs to this handle. */
  readonly handleId?: string;
  /** Release only if the address still carries this sequence number (ABA guard). */
  readonly sequenceNumber?: number;
}

/** A guard that did not match: the release was asked on stale information. */
export interface ReleaseConflict {
  readonly ordinal: number;
  readonly field: "sequenceNumber" | "handleId";
  readonly requested: string | number;
  readonly expected: string | number | null;
}

/**
 * Releases addresses (Calico `allocationBlock.release`). A request whose
 * sequence number differs from the address's (a free address has none), or
 * whose handle differs from the holder's, makes the whole call a conflict:
 * the block is returned unchanged and nothing is released. Otherwise returns
 * the new block, the released ordinals with their handles, and the ordinals
 * that were free already. Freed ordinals go to the end of the free list, so
 * they are handed out again last (Calico `garbageCollect` appends them).
 */
export function release(
  b: Block,
  reqs: readonly ReleaseRequest[],
): {
  block: Block;
  released: { ordinal: number; handleId: string | null }[];
  unallocated: number[];
  conflict?: ReleaseConflict;
} {
  // One request per ordinal (the last wins), as Calico de-duplicates by address.
  const unique = new Map<number, ReleaseRequest>();
  for (const r of reqs) unique.set(r.ordinal, r);
  const released: { ordinal: number; handleId: string | null }[] = [];
  const unallocated: number[] = [];
  for (const r of unique.values()) {
    const seq = b.sequenceNumberForAllocation[String(r.ordinal)];
    if (r.sequenceNumber !== undefined && seq !== r.sequenceNumber) {
      const conflict: ReleaseConflict = {
        ordinal: r.ordinal,
        field: "sequenceNumber",
        requested: r.sequenceNumber,
        expected: seq ?? null,
      };
      return { block: b, released: [], unallocated: [], conflict };
    }
    const idx = b.allocations[r.ordinal];
    if (idx === null || idx === undefined) {
      unallocated.push(r.ordinal);
      continue;
    }
    const h = b.attributes[idx]?.handleId ?? null;
    if (r.handleId !== undefined && r.handleId !== h) {
      const conflict: ReleaseConflict = {
        ordinal: r.ordinal,
        field: "handleId",
        requested: r.handleId,
        expected: h,
      };
      return { block: b, released: [], unallocated: [], conflict };
    }
    released.push({ ordinal: r.ordinal, handleId: h });
  }
  if (released.length === 0) return { block: b, released, unallocated };
  const allocations = [...b.allocations];
  const seqFor = { ...b.sequenceNumberForAllocation };
  for (const r of released) {
    allocations[r.ordinal] = null;
    delete seqFor[String(r.ordinal)];
  }
  return {
    block: compactAttributes({
      ...b,
      allocations,
      unallocated: [...b.unallocated, ...released.map((r) => r.ordinal)],
      sequenceNumberForAllocation: seqFor,
    }),
    released,
    unallocated,
  };
}

/** Drops attribute entries no allocation refers to, renumbering the rest. */
function compactAttributes(b: Block): Block {
  const used = new Set<number>();
  for (const a of b.allocations) if (a !== null) used.add(a);
  if (used.size === b.attributes.length) return b;
  const map = new Map<number, number>();
  const attributes: AllocationAttribute[] = [];
  b.attributes.forEach((a, i) => {
    if (used.has(i)) {
      map.set(i, attributes.length);
      attributes.push(a);
    }
  });
  return {
    ...b,
    attributes,
    allocations: b.allocations.map((a) => (a === null ? null : map.get(a)!)),
  };
}

/** Ordinals held by `handleId`. */
export function ordinalsOfHandle(b: Block, handleId: string): number[] {
  const out: number[] = [];
  b.allocations.forEach((a, o) => {
    if (a !== null && b.attributes[a]?.handleId === handleId) out.push(o);
  });
  return out;
}

/** Structural problems of a block (for `check`): double-listed or lost ordinals, dangling attributes. */
export function blockProblems(b: Block): string[] {
  const problems: string[] = [];
  const free = new Set<number>();
  for (const o of b.unallocated) {
    if (free.has(o)) problems.push(`ordinal ${o} listed free twice`);
    free.add(o);
    if (b.allocations[o] !== null) problems.push(`ordinal ${o} is both allocated and free`);
  }
  b.allocations.forEach((a, o) => {
    if (a === null && !free.has(o)) problems.push(`ordinal ${o} is neither allocated nor free`);
    if (a !== null && (a < 0 || a >= b.attributes.length)) {
      problems.push(`ordinal ${o} refers to missing attribute ${a}`);
    }
  });
  return problems;
}
