// Usage per pool, block and host — what `calicoctl ipam show --show-blocks`
// prints — and the export of block affinities as Calico's
// `crd.projectcalico.org/v1` BlockAffinity objects (F5 CIS static-routing
// mode reads those to program BIG-IP routes without BGP).
import { blockHost, inUse } from "./block.js";
import { parseCidr, sizeOf } from "./cidr.js";
import type { Ipam } from "./ipam.js";
import { blockName } from "./model.js";
import { blockBelongs } from "./pools.js";

/** Usage of one block. */
export interface BlockUsage {
  readonly cidr: string;
  readonly host: string | null;
  readonly size: number;
  readonly inUse: number;
  readonly free: number;
}

/** Usage of one pool. */
export interface PoolUsage {
  readonly name: string;
  readonly cidr: string;
  /** Addresses in the pool (a number; IPv6 pools are approximate above 2^53). */
  readonly size: number;
  readonly inUse: number;
  readonly blocks: readonly BlockUsage[];
}

/** Usage per pool (with blocks) and per host. */
export interface Usage {
  readonly pools: readonly PoolUsage[];
  readonly hosts: Readonly<Record<string, { blocks: number; inUse: number }>>;
  /** Blocks that lie in no configured pool (their pool was deleted). */
  readonly orphanBlocks: readonly BlockUsage[];
}

/** Reads every block and summarises usage. */
export async function usage(ipam: Ipam): Promise<Usage> {
  const cfg = await ipam.config(true);
  const blocks = (await ipam.listBlocks()).map(
    (b): BlockUsage => ({
      cidr: b.cidr,
      host: blockHost(b),
      size: b.allocations.length,
      inUse: inUse(b),
      free: b.unallocated.length,
    }),
  );
  const placed = new Set<string>();
  const pools = cfg.pools.map((p): PoolUsage => {
    const mine = blocks.filter((b) => blockBelongs(p, b.cidr));
    for (const b of mine) placed.add(b.cidr);
    return {
      name: p.name,
      cidr: p.cidr,
      size: Number(sizeOf(parseCidr(p.cidr))),
      inUse: mine.reduce((n, b) => n + b.inUse, 0),
      blocks: mine,
    };
  });
  const hosts: Record<string, { blocks: number; inUse: number }> = {};
  for (const b of blocks) {
    if (b.host === null) continue;
    const h = hosts[b.host] ?? { blocks: 0, inUse: 0 };
    hosts[b.host] = h;
    h.blocks += 1;
    h.inUse += b.inUse;
  }
  return { pools, hosts, orphanBlocks: blocks.filter((b) => !placed.has(b.cidr)) };
}

/** Calico's `crd.projectcalico.org/v1` BlockAffinity object. */
export interface BlockAffinityCrd {
  readonly apiVersion: "crd.projectcalico.org/v1";
  readonly kind: "BlockAffinity";
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly cidr: string;
    readonly deleted: "false";
    readonly node: string;
    readonly state: "confirmed" | "pending";
  };
}

/** Every block affinity as a BlockAffinity object (name `<node>-<block name>`, as Calico names them). */
export async function exportBlockAffinities(ipam: Ipam): Promise<BlockAffinityCrd[]> {
  const affs = await ipam.listAffinities();
  return affs.map((a) => ({
    apiVersion: "crd.projectcalico.org/v1",
    kind: "BlockAffinity",
    metadata: { name: `${a.value.host}-${blockName(a.value.cidr)}` },
    spec: { cidr: a.value.cidr, deleted: "false", node: a.value.host, state: a.value.state },
  }));
}

/**
 * Formats usage as text in the spirit of `calicoctl ipam show --show-blocks`:
 * one line per pool, then one per block, with sizes, use and host.
 */
export function formatUsage(u: Usage): string {
  const pctOf = (n: number, d: number) => (d === 0 ? "0%" : `${((100 * n) / d).toFixed(0)}%`);
  const rows: string[][] = [["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE", "HOST"]];
  for (const p of u.pools) {
    rows.push([
      "IP Pool",
      p.cidr,
      String(p.size),
      `${p.inUse} (${pctOf(p.inUse, p.size)})`,
      `${p.size - p.inUse} (${pctOf(p.size - p.inUse, p.size)})`,
      "",
    ]);
    for (const b of p.blocks) {
      rows.push([
        "Block",
        b.cidr,
        String(b.size),
        `${b.inUse} (${pctOf(b.inUse, b.size)})`,
        `${b.free} (${pctOf(b.free, b.size)})`,
        b.host ?? "(borrowable)",
      ]);
    }
  }
  for (const b of u.orphanBlocks) {
    rows.push([
      "Block",
      b.cidr,
      String(b.size),
      String(b.inUse),
      String(b.free),
      `${b.host ?? ""} (no pool)`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
