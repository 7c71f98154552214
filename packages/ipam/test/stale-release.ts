// The stale-release property, shared by the memory (unit), SQLite and etcd
// (integration) runs: over random interleavings of allocate / release /
// block release / re-claim by several nodes — each its own Ipam client with
// its own caches, as separate processes are — a release repeated later on
// stale information (a sequence number, a handle, or both, from an
// allocation that is gone) never frees anything, whatever happened to the
// block in between: emptied, its affinity released, the block deleted,
// claimed again by another node and the same address handed out anew.
import type { Datastore } from "@tortie/datastore";
import fc from "fast-check";
import { expect } from "vitest";
import { check } from "../src/check.js";
import {
  BlockLimitError,
  BlockNotEmptyError,
  NoFreeBlocksError,
  PoolExhaustedError,
  ReleaseConflictError,
} from "../src/errors.js";
import { Ipam } from "../src/ipam.js";
import type { ReleaseSpec } from "../src/release.js";

const NODES = 3;
type Guard = "seq" | "handle" | "both";

/** One step of an interleaving. */
export type Step =
  | { readonly t: "alloc"; readonly node: number; readonly n: number }
  | { readonly t: "release"; readonly pick: number; readonly guard: Guard }
  | { readonly t: "stale"; readonly pick: number; readonly guard: Guard; readonly node: number }
  | { readonly t: "blockRelease"; readonly node: number; readonly mustBeEmpty: boolean }
  | { readonly t: "claim"; readonly node: number }
  | { readonly t: "recycle"; readonly node: number; readonly guard: Guard };

const node = fc.integer({ min: 0, max: NODES - 1 });
const guard = fc.constantFrom<Guard>("seq", "handle", "both");

/** Interleavings: allocations and releases mostly, block releases and re-claims in between. */
export const stepsArb: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant("alloc" as const),
        node,
        n: fc.integer({ min: 1, max: 3 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant("release" as const), pick: fc.nat(), guard }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant("stale" as const), pick: fc.nat(), guard, node }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("blockRelease" as const),
        node,
        mustBeEmpty: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("claim" as const), node }) },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant("recycle" as const), node, guard }),
    },
  ),
  { minLength: 1, maxLength: 40 },
);

interface Held {
  readonly ip: string;
  readonly seq: number;
  readonly handle: string;
}

function ordinalIn(cidr: string, ip: string): boolean {
  const [base, len] = cidr.split("/");
  const size = 2 ** (32 - Number(len));
  const n = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  return n(ip) >= n(base!) && n(ip) < n(base!) + size;
}

function specOf(h: Held, g: Guard): ReleaseSpec {
  return {
    ip: h.ip,
    ...(g === "seq" ? {} : { handleId: h.handle }),
    ...(g === "handle" ? {} : { sequenceNumber: h.seq }),
  };
}

/**
 * Runs one interleaving against `store` under its own key root and checks:
 * stale releases free nothing; every held address is still held by its
 * handle; nothing else is allocated; `check` finds no leak or double.
 */
export async function runInterleaving(
  store: Datastore,
  root: string,
  steps: readonly Step[],
): Promise<void> {
  const admin = new Ipam({ store, root });
  await admin.applyPool({ name: "tiny", cidr: "192.0.2.0/29", blockSize: 30 });
  const nodes = Array.from({ length: NODES }, () => new Ipam({ store, root }));
  const held: Held[] = [];
  const gone: Held[] = [];
  let next = 0;
  for (const s of steps) {
    if (s.t === "alloc") {
      const handle = `h${next++}`;
      try {
        const r = await nodes[s.node]!.autoAssign({
          handleId: handle,
          hostname: `node-${s.node}`,
          num4: s.n,
        });
        for (const a of r.ipv4) {
          expect(
            held.some((h) => h.ip === a.ip),
            `${a.ip} handed out twice`,
          ).toBe(false);
          held.push({ ip: a.ip, seq: a.sequenceNumber, handle });
        }
      } catch (e) {
        if (
          !(e instanceof PoolExhaustedError) &&
          !(e instanceof NoFreeBlocksError) &&
          !(e instanceof BlockLimitError)
        )
          throw e;
      }
    } else if (s.t === "release") {
      if (held.length === 0) continue;
      const [h] = held.splice(s.pick % held.length, 1);
      const r = await nodes[s.pick % NODES]!.releaseIps([specOf(h!, s.guard)]);
      expect(r.released).toEqual([h!.ip]);
      gone.push(h!);
    } else if (s.t === "stale") {
      if (gone.length === 0) continue;
      // Mostly one of the last few releases: the window where a block is
      // emptied, deleted and claimed again with the same addresses.
      const recent = s.pick % 2 === 0 ? Math.min(gone.length, 3) : gone.length;
      const h = gone[gone.length - 1 - ((s.pick >> 1) % recent)]!;
      const holder = held.find((x) => x.ip === h.ip);
      try {
        const r = await nodes[s.node]!.releaseIps([specOf(h, s.guard)]);
        // Lenient only where nothing is held: a handle-guarded release of a free address.
        expect(r.released, `stale release of ${h.ip} (${s.guard}) freed it`).toEqual([]);
        expect(
          holder,
          `stale release of ${h.ip} passed while ${holder?.handle} holds it`,
        ).toBeUndefined();
      } catch (e) {
        if (!(e instanceof ReleaseConflictError)) throw e;
        expect(e.address).toBe(h.ip);
      }
    } else if (s.t === "blockRelease") {
      try {
        await nodes[s.node]!.releaseHostAffinities(`node-${s.node}`, s.mustBeEmpty);
      } catch (e) {
        if (!(e instanceof BlockNotEmptyError)) throw e;
      }
    } else if (s.t === "claim") {
      await nodes[s.node]!.claimAffinity("192.0.2.0/29", `node-${s.node}`);
    } else {
      // Empty the node's blocks, give them up (they are deleted), claim again.
      const host = `node-${s.node}`;
      const blocks = new Set(
        (await nodes[s.node]!.listBlocks())
          .filter((b) => b.affinity === `host:${host}`)
          .map((b) => b.cidr),
      );
      const inThem = (await nodes[s.node]!.listBlocks())
        .filter((b) => blocks.has(b.cidr))
        .flatMap((b) => held.filter((h) => ordinalIn(b.cidr, h.ip)));
      for (const h of inThem) {
        held.splice(held.indexOf(h), 1);
        expect((await nodes[s.node]!.releaseIps([specOf(h, s.guard)])).released).toEqual([h.ip]);
        gone.push(h);
      }
      await nodes[s.node]!.releaseHostAffinities(host, true);
      await nodes[s.node]!.claimAffinity("192.0.2.0/29", host);
    }
  }
  // Every held address is held by its handle, and nothing else is allocated.
  const fresh = new Ipam({ store, root });
  const byHandle = new Map<string, string[]>();
  for (const h of held) byHandle.set(h.handle, [...(byHandle.get(h.handle) ?? []), h.ip]);
  for (const [handle, ips] of byHandle) {
    expect((await fresh.ipsByHandle(handle)).sort(), handle).toEqual(ips.sort());
  }
  const report = await check(fresh, { isLive: (h) => byHandle.has(h), now: 0 });
  expect(report.allocations).toBe(held.length);
  expect(report.leaks).toEqual([]);
  expect(report.doubleAllocations).toEqual([]);
  expect(report.blockProblems).toEqual([]);
  expect(report.handleMismatches).toEqual([]);
}

/**
 * A known interleaving that freed a newer allocation before sequence numbers
 * were drawn from revisions: node-1's only block loses its affinity, its last
 * address is released (the block is deleted), node-1 claims it again and gets
 * the same address with the same restarted number, and a release repeated
 * with the first allocation's number freed the new one.
 */
export const REGRESSION: readonly Step[] = [
  { t: "alloc", node: 1, n: 1 },
  { t: "blockRelease", node: 1, mustBeEmpty: false },
  { t: "release", pick: 0, guard: "seq" },
  { t: "alloc", node: 1, n: 1 },
  { t: "stale", pick: 0, guard: "seq", node: 0 },
];

/** The property over `numRuns` interleavings, each under a fresh root of `store`. */
export async function assertStaleReleasesFreeNothing(
  store: Datastore,
  numRuns: number,
  seed?: number,
): Promise<void> {
  let run = 0;
  await runInterleaving(store, `/stale/${Date.now()}-regression/`, REGRESSION);
  await fc.assert(
    fc.asyncProperty(stepsArb, async (steps) => {
      await runInterleaving(store, `/stale/${Date.now()}-${run++}/`, steps);
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
}
