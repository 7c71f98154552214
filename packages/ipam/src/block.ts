// Pure operations on one allocation block: assign, assign a given address,
// release (guarded by handle and sequence number), usage. Every function
// returns a new block; nothing here touches the store.
import { type Cidr, formatIp, type Ip, parseCidr, sizeOf } from "./cidr.js";
import type { AllocationAttribute, Block } from "./model.js";

/** An address handed out from a block. */
export interface Assigned {
  readonly ip: string;
  readonly ordinal: number;
  readonly sequenceNumber: number;
}

/** A new, empty block for `cidr`, affine to `host` (or to none). */
export function emptyBlock(cidr: string, host: string | null): Block {
  const n = Number(sizeOf(parseCidr(cidr)));
  return {
    cidr,
    affinity: host === null ? null : `host:${host}`,
    allocations: new Array<null>(n).fill(null),
    unallocated: Array.from({ length: n }, (_, i) => i),
    attributes: [],
    sequenceNumber: 0,
    sequenceNumberForAllocation: {},
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

/** True when no address is in use. */
export function isEmpty(b: Block): boolean {
  return b.unallocated.length === b.allocations.length;
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
 * Assigns up to `n` free addresses, skipping those `excluded` says are
 * reserved. Returns the new block and what was assigned (possibly fewer than n).
 */
export function assign(
  b: Block,
  n: number,
  attr: AllocationAttribute,
  excluded: (ordinal: number) => boolean = () => false,
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
  let seq = b.sequenceNumber;
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

/** Assigns the address at `ordinal`; returns undefined when it is taken. */
export function assignOrdinal(
  b: Block,
  ordinal: number,
  attr: AllocationAttribute,
): { block: Block; assigned: Assigned } | undefined {
  if (b.allocations[ordinal] !== null) return undefined;
  const r = assign({ ...b, unallocated: [ordinal] }, 1, attr);
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

/**
 * Releases addresses. Returns the new block, the released ordinals with the
 * handle each belonged to, and the ordinals skipped (free already, or a guard
 * did not match — the address was re-assigned meanwhile).
 */
export function release(
  b: Block,
  reqs: readonly ReleaseRequest[],
): {
  block: Block;
  released: { ordinal: number; handleId: string | null }[];
  skipped: number[];
} {
  const allocations = [...b.allocations];
  const seqFor = { ...b.sequenceNumberForAllocation };
  const released: { ordinal: number; handleId: string | null }[] = [];
  const skipped: number[] = [];
  const freed: number[] = [];
  for (const r of reqs) {
    const idx = allocations[r.ordinal];
    if (idx === null || idx === undefined) {
      skipped.push(r.ordinal);
      continue;
    }
    const h = b.attributes[idx]?.handleId ?? null;
    if (r.handleId !== undefined && r.handleId !== h) {
      skipped.push(r.ordinal);
      continue;
    }
    if (r.sequenceNumber !== undefined && seqFor[String(r.ordinal)] !== r.sequenceNumber) {
      skipped.push(r.ordinal);
      continue;
    }
    allocations[r.ordinal] = null;
    delete seqFor[String(r.ordinal)];
    freed.push(r.ordinal);
    released.push({ ordinal: r.ordinal, handleId: h });
  }
  if (freed.length === 0) return { block: b, released, skipped };
  return {
    block: compactAttributes({
      ...b,
      allocations,
      unallocated: [...b.unallocated, ...freed],
      sequenceNumberForAllocation: seqFor,
    }),
    released,
    skipped,
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
