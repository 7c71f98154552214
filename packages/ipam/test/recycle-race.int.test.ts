// Releases racing re-claims, across processes, on a real etcd and on one
// SQLite file (a file of its own so that it runs beside the long churn test).
import { check, Ipam } from "@tortie/ipam";
import { expect, it } from "vitest";
import { type Backend, describeOnStores } from "./backends.js";
import { verifyNoDoubles } from "./verify.js";
import { startWorker } from "./workers.js";

/** Steps per node. */
const RECYCLE_PER_NODE = Number(process.env.IPAM_TEST_RECYCLE_PER_NODE ?? 150);

/**
 * Releases racing re-claims: four nodes share a pool of four /30 blocks,
 * each keeping two addresses, releasing the oldest with its guards,
 * repeating earlier releases on stale information, and giving up its empty
 * blocks every few steps, so that blocks are deleted and claimed again by
 * other nodes while stale releases are in flight. Zero stale frees, zero
 * double assignments, zero lost addresses.
 */
async function recycleRace(b: Backend, root: string): Promise<void> {
  const store = b.open();
  const admin = new Ipam({ store, root });
  await admin.applyPool({ name: "tiny", cidr: "198.51.100.0/28", blockSize: 30 });
  const workers = Array.from({ length: 4 }, (_, i) =>
    startWorker({
      backend: b.kind,
      endpoint: b.endpoint,
      root,
      node: `node${i}`,
      count: RECYCLE_PER_NODE,
      releaseEvery: 0,
      mode: "recycle",
    }),
  );
  const logs = await Promise.all(workers.map((w) => w.done));
  for (const l of logs) expect(l.exit, `${l.node}: ${l.stderr}`).toEqual({ code: 0, signal: null });
  expect(logs.flatMap((l) => l.staleFrees)).toEqual([]);
  // The race was run: stale releases were refused, blocks were deleted and claimed again.
  const conflicts = logs.reduce((n, l) => n + l.staleOutcomes.conflict, 0);
  const deleted = logs.reduce((n, l) => n + l.deletedBlocks, 0);
  const summary = JSON.stringify({
    conflicts,
    deleted,
    assigned: logs.reduce((n, l) => n + l.assigned.length, 0),
    unallocated: logs.reduce((n, l) => n + l.staleOutcomes.unallocated, 0),
  });
  expect(conflicts, summary).toBeGreaterThan(0);
  expect(deleted, summary).toBeGreaterThan(0);
  const { held } = verifyNoDoubles(logs);
  const byHandle = new Map([...held].map(([ip, h]) => [h, ip]));
  const fresh = new Ipam({ store, root });
  for (const [h, ip] of byHandle) expect(await fresh.ipsByHandle(h), h).toEqual([ip]);
  const report = await check(fresh, { isLive: (h) => byHandle.has(h), now: Date.now() });
  expect(report.allocations).toBe(held.size);
  expect(report.leaks).toEqual([]);
  expect(report.doubleAllocations).toEqual([]);
  expect(report.handleMismatches).toEqual([]);
  expect(report.blockProblems).toEqual([]);
  await store.close();
}

describeOnStores("releases racing re-claims", (backend) => {
  it("no stale release frees, no address twice, none lost", async () => {
    await recycleRace(backend(), "/recycle/");
  });
});
