// IPAM's invariants checked on the raw keys, read back through a connection
// of their own and decoded here (not through `Ipam`, its caches or its
// record decoders), so that a bug in the allocator cannot hide itself:
//
//   - every block is affine to at most one host, and an affine block has
//     exactly one affinity record, that host's, confirmed; no affinity
//     record is pending or names a missing block or another host's block;
//   - each block's bitmap adds up: allocated + free = block size, every
//     free ordinal is free;
//   - no address is allocated twice;
//   - every handle record counts exactly what the blocks hold for it;
//   - what the clients were told they hold is exactly what the store holds.
// IPv4 only (the race tests use 192.0.2.0/24 and 198.51.100.0/24).
import type { Datastore } from "@tortie/datastore";
import { expect } from "vitest";

/** A block as stored. */
interface RawBlock {
  cidr: string;
  affinity: string | null;
  allocations: (number | null)[];
  unallocated: number[];
  attributes: { handleId: string | null }[];
}

/** Every IPAM record under a root, as stored. */
export interface RawIpam {
  /** Block name → block. */
  readonly blocks: Map<string, RawBlock>;
  readonly affinities: { host: string; block: string; state: string }[];
  /** Handle id → block name → count. */
  readonly handles: Map<string, Record<string, number>>;
}

/** Reads every block, affinity and handle under `root`. */
export async function readRaw(store: Datastore, root: string): Promise<RawIpam> {
  const raw: RawIpam = { blocks: new Map(), affinities: [], handles: new Map() };
  for (const kv of (await store.list(root)).kvs) {
    const rest = kv.key.slice(root.length);
    const v = JSON.parse(kv.value);
    if (rest.startsWith("blocks/")) raw.blocks.set(rest.slice("blocks/".length), v as RawBlock);
    else if (rest.startsWith("affinity/")) {
      const [host, block] = rest.slice("affinity/".length).split("/") as [string, string];
      expect(v.host, kv.key).toBe(host);
      raw.affinities.push({ host, block, state: v.state });
    } else if (rest.startsWith("handles/")) {
      const id = decodeURIComponent(rest.slice("handles/".length));
      expect(v.handleId, kv.key).toBe(id);
      raw.handles.set(id, v.block);
    }
  }
  return raw;
}

/** The IPv4 address at `ordinal` in `cidr`. */
function ipv4At(cidr: string, ordinal: number): string {
  const [base] = cidr.split("/") as [string];
  const n = base.split(".").reduce((a, o) => a * 256 + Number(o), 0) + ordinal;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Address → handle of every allocation in the store (fails on an address held twice). */
export function allocations(raw: RawIpam): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const b of raw.blocks.values()) {
    b.allocations.forEach((idx, o) => {
      if (idx === null) return;
      const ip = ipv4At(b.cidr, o);
      expect(out.has(ip), `${ip} allocated twice`).toBe(false);
      out.set(ip, b.attributes[idx]?.handleId ?? null);
    });
  }
  return out;
}

/**
 * Asserts every invariant above. `given` is what the clients were told
 * they hold (address → handle).
 */
export function expectConsistent(raw: RawIpam, given: ReadonlyMap<string, string>): void {
  // Affinities: one per affine block, the block's host's, confirmed.
  const affOf = new Map<string, string[]>();
  for (const a of raw.affinities) {
    expect(a.state, `affinity ${a.host}/${a.block}`).toBe("confirmed");
    const b = raw.blocks.get(a.block);
    expect(b, `affinity ${a.host}/${a.block} names a missing block`).toBeDefined();
    expect(b!.affinity, `affinity ${a.host}/${a.block}`).toBe(`host:${a.host}`);
    affOf.set(a.block, [...(affOf.get(a.block) ?? []), a.host]);
  }
  for (const [name, b] of raw.blocks) {
    const hosts = affOf.get(name) ?? [];
    if (b.affinity === null) expect(hosts, `block ${name} without affinity`).toEqual([]);
    else
      expect(
        hosts.map((h) => `host:${h}`),
        `owners of ${name}`,
      ).toEqual([b.affinity]);
    // The bitmap adds up.
    const size = 2 ** (32 - Number(b.cidr.split("/")[1]));
    expect(b.allocations.length, name).toBe(size);
    const used = b.allocations.filter((x) => x !== null).length;
    expect(used + b.unallocated.length, `${name}: allocated + free`).toBe(size);
    expect(new Set(b.unallocated).size, `${name}: free list repeats`).toBe(b.unallocated.length);
    for (const o of b.unallocated)
      expect(b.allocations[o], `${name}: free ordinal ${o}`).toBe(null);
  }
  // Handles count what the blocks hold.
  const counted = new Map<string, Record<string, number>>();
  for (const [name, b] of raw.blocks) {
    for (const idx of b.allocations) {
      if (idx === null) continue;
      const h = b.attributes[idx]?.handleId;
      expect(h, `${name}: allocation without handle`).toBeTruthy();
      const per = counted.get(h!) ?? {};
      per[name] = (per[name] ?? 0) + 1;
      counted.set(h!, per);
    }
  }
  const recorded = new Map([...raw.handles].filter(([, per]) => Object.keys(per).length > 0));
  expect(Object.fromEntries(recorded), "handle records vs blocks").toEqual(
    Object.fromEntries(counted),
  );
  // What the clients hold is what the store holds, no more, no less.
  expect(Object.fromEntries(allocations(raw)), "store vs what clients were given").toEqual(
    Object.fromEntries(given),
  );
}
