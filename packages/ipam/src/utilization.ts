// Utilization as Calico reports it (`GetUtilization` in ipam.go, what
// `calicoctl ipam show` prints): per pool and per block, capacity, addresses
// in use, addresses reserved by IPReservations, and addresses available
// (free and not reserved). Blocks outside every pool are reported under
// "orphaned allocation blocks" when every pool is asked for.

import { blockHost } from "./block.js";
import { type Cidr, overlaps, parseCidr, sizeOf } from "./cidr.js";
import type { IpamCore } from "./core.js";
import type { Block } from "./model.js";
import { blockBelongs } from "./pools.js";

/** Utilization of one block (Calico `BlockUtilization`). */
export interface BlockUtilization {
  readonly cidr: string;
  /** The block's owner, null when it has no affinity. */
  readonly host: string | null;
  /** Addresses in the block. */
  readonly capacity: number;
  /** Addresses allocated (capacity − free, host-reserved ones included). */
  readonly inUse: number;
  /** Addresses an IPReservation covers, allocated or not. */
  readonly reserved: number;
  /** Free addresses no reservation covers. */
  readonly available: number;
}

/** Utilization of one pool (Calico `PoolUtilization`). */
export interface PoolUtilization {
  readonly name: string;
  readonly cidr: string;
  /** Addresses in the pool (a number; IPv6 pools are approximate above 2^53). */
  readonly capacity: number;
  readonly inUse: number;
  /** Addresses of the pool an IPReservation covers, inside blocks or not. */
  readonly reserved: number;
  /** Addresses that can still be assigned: free in blocks and in space not yet carved into blocks, less reservations. */
  readonly available: number;
  readonly blocks: readonly BlockUtilization[];
}

/** The name Calico reports blocks outside every pool under. */
export const ORPHANED_BLOCKS = "orphaned allocation blocks";

/**
 * Utilization of the named pools (names or CIDRs), or of all pools plus an
 * entry for orphaned blocks (Calico `GetUtilization`).
 */
export async function getUtilization(
  core: IpamCore,
  args: { pools?: readonly string[] } = {},
): Promise<PoolUtilization[]> {
  const cfg = await core.config(true);
  const want = args.pools ?? [];
  const pools = cfg.pools.filter(
    (p) => want.length === 0 || want.includes(p.name) || want.includes(p.cidr),
  );
  const reservations = cfg.reservations.map(parseCidr);
  const blocks = await core.listBlocks();
  const placed = new Set<string>();
  const out: PoolUtilization[] = pools.map((p) => {
    const pc = parseCidr(p.cidr);
    const mine = blocks.filter((b) => blockBelongs(p, b.cidr));
    for (const b of mine) placed.add(b.cidr);
    const bu = mine.map((b) => blockUtilization(b, reservations));
    const capacity = sizeOf(pc);
    const reserved = reservedIn(pc, reservations);
    const inBlocks = mine.reduce((n, b) => n + sizeOf(parseCidr(b.cidr)), 0n);
    const reservedInBlocks = bu.reduce((n, b) => n + BigInt(b.reserved), 0n);
    const outside = capacity - inBlocks - (reserved - reservedInBlocks);
    return {
      name: p.name,
      cidr: p.cidr,
      capacity: Number(capacity),
      inUse: bu.reduce((n, b) => n + b.inUse, 0),
      reserved: Number(reserved),
      available: Number(BigInt(bu.reduce((n, b) => n + b.available, 0)) + outside),
      blocks: bu,
    };
  });
  if (want.length === 0) {
    const orphans = blocks
      .filter((b) => !placed.has(b.cidr))
      .map((b) => blockUtilization(b, reservations));
    // Calico lists the blocks but totals nothing over its 0.0.0.0/0 stand-in.
    out.push({
      name: ORPHANED_BLOCKS,
      cidr: "0.0.0.0/0",
      capacity: 0,
      inUse: 0,
      reserved: 0,
      available: 0,
      blocks: orphans,
    });
  }
  return out;
}

function blockUtilization(b: Block, reservations: readonly Cidr[]): BlockUtilization {
  const c = parseCidr(b.cidr);
  const capacity = b.allocations.length;
  const rs = reservations.filter((r) => overlaps(r, c));
  const isReserved = (o: number) =>
    rs.some((r) => {
      const v = c.base + BigInt(o);
      const shift = BigInt((c.family === 4 ? 32 : 128) - r.prefix);
      return v >> shift === r.base >> shift;
    });
  let reserved = 0;
  if (rs.length > 0) for (let o = 0; o < capacity; o++) if (isReserved(o)) reserved++;
  const available =
    rs.length === 0 ? b.unallocated.length : b.unallocated.filter((o) => !isReserved(o)).length;
  return {
    cidr: b.cidr,
    host: blockHost(b),
    capacity,
    inUse: capacity - b.unallocated.length,
    reserved,
    available,
  };
}

/** Addresses of `c` covered by the union of `rs` (overlapping reservations counted once). */
function reservedIn(c: Cidr, rs: readonly Cidr[]): bigint {
  // Clip each reservation to c, then drop those inside another.
  const clipped = rs
    .filter((r) => overlaps(r, c))
    .map((r) => (r.prefix >= c.prefix ? r : c))
    .sort((a, b) => a.prefix - b.prefix);
  const kept: Cidr[] = [];
  for (const r of clipped) if (!kept.some((k) => overlaps(k, r))) kept.push(r);
  return kept.reduce((n, r) => n + sizeOf(r), 0n);
}
