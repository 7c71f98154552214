// Property tests: random interleavings of assign/release across nodes (each
// node its own Ipam client with its own caches, as separate processes are)
// never hand out one address twice and always account for every address.
import { type Datastore, MemoryStore, type TxnRequest } from "@tortie/datastore";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, isClean } from "./check.js";
import {
  BlockLimitError,
  NoFreeBlocksError,
  PoolExhaustedError,
  ReleaseConflictError,
} from "./errors.js";
import { Ipam } from "./ipam.js";
import { usage } from "./usage.js";

/** A store whose every call waits for the fast-check scheduler before it applies. */
function scheduled(inner: Datastore, s: fc.Scheduler): Datastore {
  const gate = <T>(label: string, f: () => Promise<T>) =>
    s.schedule(Promise.resolve(), label).then(f);
  return {
    capabilities: inner.capabilities,
    get: (k) => gate(`get ${k}`, () => inner.get(k)),
    list: (p, o) => gate(`list ${p}`, () => inner.list(p, o)),
    create: (k, v, o) => gate(`create ${k}`, () => inner.create(k, v, o)),
    update: (k, v, r) => gate(`update ${k}`, () => inner.update(k, v, r)),
    delete: (k, r) => gate(`delete ${k}`, () => inner.delete(k, r)),
    txn: (r: TxnRequest) => gate("txn", () => inner.txn(r)),
    revision: () => inner.revision(),
    watch: inner.watch.bind(inner),
    compact: inner.compact.bind(inner),
    grantLease: inner.grantLease.bind(inner),
    close: () => inner.close(),
  };
}

interface Pod {
  readonly node: number;
  readonly num4: number;
  readonly num6: number;
  /**
   * Release again after assigning: none, by handle, address by address, or
   * address by address with guards and then once more on the same (now
   * stale) guards, while the other pods run.
   */
  readonly release: "keep" | "handle" | "ips" | "stale";
  /** Ask for this specific IPv4 ordinal instead (the ipAddrs annotation). */
  readonly specific: number | null;
}

const podArb: fc.Arbitrary<Pod> = fc.record({
  node: fc.integer({ min: 0, max: 3 }),
  num4: fc.integer({ min: 0, max: 3 }),
  num6: fc.integer({ min: 0, max: 2 }),
  release: fc.constantFrom("keep", "handle", "ips", "stale"),
  specific: fc.option(fc.integer({ min: 0, max: 31 }), { nil: null }),
});

describe("ipam properties", () => {
  it("never hands out an address twice and accounts for every address", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(podArb, { minLength: 1, maxLength: 24 }),
        fc.boolean(),
        async (s, pods, strict) => {
          const mem = new MemoryStore();
          const admin = new Ipam({ store: mem });
          await admin.applyPool({ name: "v4", cidr: "192.0.2.0/27", blockSize: 30 });
          await admin.applyPool({ name: "v6", cidr: "2001:db8::/124", blockSize: 126 });
          await admin.setIpamConfiguration({ strictAffinity: strict });
          const store = scheduled(mem, s);
          const nodes = [0, 1, 2, 3].map(() => new Ipam({ store }));
          const live = new Map<string, string>(); // ip → handle, while held
          const held = new Map<string, Set<string>>(); // handle → ips it holds at the end
          const take = (h: string, ips: readonly string[]) => {
            for (const ip of ips) {
              const other = live.get(ip);
              if (other !== undefined)
                throw new Error(`${ip} given to ${h} while ${other} holds it`);
              live.set(ip, h);
            }
            held.set(h, new Set([...(held.get(h) ?? []), ...ips]));
          };
          const drop = (h: string, ips: readonly string[]) => {
            for (const ip of ips) {
              live.delete(ip);
              held.get(h)?.delete(ip);
            }
          };
          const seqOf = new Map<string, number>(); // ip → sequence number of its current holder
          const run = async (p: Pod, i: number) => {
            const h = `pod-${i}`;
            const ipam = nodes[p.node]!;
            const hostname = `node-${p.node}`;
            try {
              if (p.specific !== null) {
                const ip = `192.0.2.${p.specific}`;
                if (live.has(ip)) return; // would be refused; do not race the model
                try {
                  const a = await ipam.assignIp({ ip, handleId: h, hostname });
                  take(h, [a.ip]);
                  seqOf.set(a.ip, a.sequenceNumber);
                } catch (e) {
                  // Taken, or (strictAffinity) in another host's block: refused, as Calico refuses.
                  const n = (e as Error).name;
                  if (n !== "AddressInUseError" && n !== "AffinityMismatchError") throw e;
                  return;
                }
              } else {
                const r = await ipam.autoAssign({
                  handleId: h,
                  hostname,
                  num4: p.num4,
                  num6: p.num6,
                });
                expect(r.ipv4).toHaveLength(p.num4);
                expect(r.ipv6).toHaveLength(p.num6);
                take(
                  h,
                  [...r.ipv4, ...r.ipv6].map((a) => a.ip),
                );
                for (const a of [...r.ipv4, ...r.ipv6]) seqOf.set(a.ip, a.sequenceNumber);
              }
            } catch (e) {
              if (
                e instanceof PoolExhaustedError ||
                e instanceof NoFreeBlocksError ||
                e instanceof BlockLimitError
              )
                return;
              throw e;
            }
            const mine = [...(held.get(h) ?? [])];
            if (p.release === "handle") {
              drop(h, mine);
              const out = await ipam.releaseByHandle(h);
              expect(out.sort()).toEqual(mine.sort());
            } else if (p.release === "ips") {
              drop(h, mine);
              const out = await ipam.releaseIps(mine);
              expect(out.released.sort()).toEqual(mine.sort());
            } else if (p.release === "stale") {
              const specs = mine.map((ip) => ({ ip, handleId: h, sequenceNumber: seqOf.get(ip)! }));
              drop(h, mine);
              const out = await ipam.releaseIps(specs);
              expect(out.released.sort()).toEqual(mine.sort());
              // Other pods may hold these addresses by now: the same guards,
              // or the sequence number alone, must free nothing.
              for (const spec of [
                ...specs,
                ...specs.map(({ ip, sequenceNumber }) => ({ ip, sequenceNumber })),
              ]) {
                try {
                  expect((await ipam.releaseIps([spec])).released).toEqual([]);
                } catch (e) {
                  if (!(e instanceof ReleaseConflictError)) throw e;
                }
              }
            }
          };
          const all = Promise.all(pods.map((p, i) => run(p, i)));
          await s.waitFor(all);
          await all;

          // Every held address is in the store under its handle; nothing else is.
          const fresh = new Ipam({ store: mem });
          let total = 0;
          for (const [h, ips] of held) {
            total += ips.size;
            expect((await fresh.ipsByHandle(h)).sort()).toEqual([...ips].sort());
          }
          const u = await usage(fresh);
          expect(
            u.pools.reduce((n, p) => n + p.inUse, 0) +
              u.orphanBlocks.reduce((n, b) => n + b.inUse, 0),
          ).toBe(total);
          const report = await check(fresh, {
            isLive: (h) => (held.get(h)?.size ?? 0) > 0,
            now: 0,
          });
          expect(report.leaks).toEqual([]);
          expect(report.doubleAllocations).toEqual([]);
          expect(report.blockProblems).toEqual([]);
          expect(report.handleMismatches).toEqual([]);
          // No host ever shares a block: each block has at most one confirmed affinity.
          const affs = await fresh.listAffinities();
          const owners = new Map<string, string>();
          for (const a of affs) {
            if (a.value.state !== "confirmed") continue;
            expect(owners.get(a.value.cidr), a.value.cidr).toBeUndefined();
            owners.set(a.value.cidr, a.value.host);
          }
          expect(report.affinityProblems.filter((p) => p.kind !== "pending")).toEqual([]);
          expect(isClean({ ...report, affinityProblems: [] })).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
