// Several processes (simulated nodes) allocate and release concurrently
// against a real etcd and against one SQLite file; then a process is killed
// with SIGKILL in the middle of allocating, and check/repair must find and
// fix every leak it left.
//
// Size: each of the 8 nodes makes IPAM_TEST_PER_NODE assignments and
// releases every second one.
//   CI=true   2,500 per node = 20,000 addresses, the figure. Measured
//             on two shared cores (2026-11-26): etcd 69 s, SQLite 18 s per
//             churn test; each gets a 5-minute timeout.
//   elsewhere 120 per node = 960 addresses, a few seconds, for local runs.
// IPAM_TEST_PER_NODE overrides both.
import { check, Ipam, isClean, repair, usage } from "@tortie/ipam";
import { inCI } from "@tortie/testbed";
import { expect, it } from "vitest";
import { type Backend, describeOnStores } from "./backends.js";
import { verifyNoDoubles } from "./verify.js";
import { heldHandles, startWorker } from "./workers.js";

const PER_NODE = Number(process.env.IPAM_TEST_PER_NODE ?? (inCI() ? 2500 : 120));
const NODES = 8;
/** The churn tests' timeout: the full CI size takes about a minute on etcd. */
const CHURN_TIMEOUT_MS = 300_000;

async function churn(b: Backend, root: string): Promise<void> {
  const store = b.open();
  const admin = new Ipam({ store, root });
  await admin.applyPool({ name: "v6", cidr: "2001:db8:1::/112" });
  const workers = Array.from({ length: NODES }, (_, i) =>
    startWorker({
      backend: b.kind,
      endpoint: b.endpoint,
      root,
      node: `node${i}`,
      count: PER_NODE,
      releaseEvery: 2,
      num6: 1,
    }),
  );
  const logs = await Promise.all(workers.map((w) => w.done));
  for (const l of logs) expect(l.exit, `${l.node}: ${l.stderr}`).toEqual({ code: 0, signal: null });
  const { held, assigned } = verifyNoDoubles(logs);
  expect(assigned).toBe(NODES * PER_NODE);
  expect(held.size).toBe(NODES * PER_NODE - NODES * Math.floor(PER_NODE / 2));
  const live = new Set(held.values());
  const report = await check(admin, { isLive: (h) => live.has(h), now: Date.now() });
  expect(report.allocations).toBe(held.size);
  expect(isClean(report)).toBe(true);
  const u = await usage(admin);
  expect(u.pools[0]!.inUse).toBe(held.size);
  // Each node's addresses come from blocks affine to it (no borrowing needed here).
  expect(Object.keys(u.hosts).sort()).toEqual(logs.map((l) => l.node).sort());
  await store.close();
}

async function killAndRepair(b: Backend, root: string): Promise<void> {
  const store = b.open();
  const admin = new Ipam({ store, root });
  // Small blocks, so the victim is often in the middle of claiming one.
  await admin.applyPool({ name: "small", cidr: "2001:db8:2::/112", blockSize: 125 });
  const survivors = [0, 1].map((i) =>
    startWorker({
      backend: b.kind,
      endpoint: b.endpoint,
      root,
      node: `live${i}`,
      count: 80,
      releaseEvery: 3,
      num6: 1,
    }),
  );
  const victim = startWorker({
    backend: b.kind,
    endpoint: b.endpoint,
    root,
    node: "victim",
    count: -1,
    releaseEvery: 3,
    num4: 0,
    num6: 2,
  });
  const t0 = Date.now();
  while (victim.log.assigned.length < 60 && Date.now() - t0 < 30_000 && !victim.log.exit) {
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(victim.log.exit, victim.log.stderr).toBeUndefined();
  victim.child.kill("SIGKILL");
  const vlog = await victim.done;
  expect(vlog.exit?.signal).toBe("SIGKILL");
  const logs = await Promise.all(survivors.map((w) => w.done));
  for (const l of logs) expect(l.exit, `${l.node}: ${l.stderr}`).toEqual({ code: 0, signal: null });
  const { held } = verifyNoDoubles([...logs, vlog]);
  const live = new Set(logs.flatMap((l) => [...heldHandles(l)]));
  const isLive = (h: string) => live.has(h);

  const report = await check(admin, { isLive, now: 0 });
  // Every leak is the victim's, and every address the victim reported holding is a leak.
  expect(report.leaks.length).toBeGreaterThan(0);
  expect(report.leaks.every((l) => l.handleId?.startsWith("victim."))).toBe(true);
  const leaked = new Set(report.leaks.map((l) => l.ip));
  for (const [ip, h] of held) {
    // A release the victim announced may have committed before the kill.
    if (h.startsWith("victim.") && !vlog.releasing.has(h)) expect(leaked.has(ip), ip).toBe(true);
  }
  expect(report.doubleAllocations).toEqual([]);
  expect(report.blockProblems).toEqual([]);

  // Inside the grace period nothing is touched; after it, everything is repaired.
  const early = await repair(admin, report, { isLive, now: 500, graceMs: 1000 });
  expect(early.releasedLeaks).toEqual([]);
  const fixed = await repair(admin, report, { isLive, now: 1000, graceMs: 1000 });
  expect(fixed.releasedLeaks.length).toBe(report.leaks.length);
  const after = await check(admin, { isLive, now: 2000 });
  expect(after.leaks).toEqual([]);
  expect(after.handleMismatches).toEqual([]);
  expect(after.affinityProblems).toEqual([]);
  expect(isClean(after)).toBe(true);
  // What survives is exactly what the live nodes hold.
  const liveIps = [...held].filter(([, h]) => live.has(h)).length;
  expect(after.allocations).toBe(liveIps);
  // The dead node's blocks are freed of it too.
  const r = await admin.releaseHostAffinities("victim");
  expect(r.orphaned).toEqual([]);
  expect(isClean(await check(admin, { isLive, now: 3000 }))).toBe(true);
  await store.close();
}

describeOnStores("IPAM across processes", (backend) => {
  it(
    `${NODES} processes allocate ${NODES * PER_NODE} and release half: no address twice, none lost`,
    async () => {
      await churn(backend(), "/churn/");
    },
    CHURN_TIMEOUT_MS,
  );

  it("kill -9 in the middle of allocation: check finds every leak, repair fixes them", async () => {
    await killAndRepair(backend(), "/kill/");
  });
});
