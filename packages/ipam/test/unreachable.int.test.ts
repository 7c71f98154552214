// IPAM on an etcd that cannot be reached: every call fails fast with the
// datastore's typed error, and nothing is half-written once it comes back.
import { DatastoreUnavailableError, EtcdStore } from "@tortie/datastore";
import { check, Ipam, isClean } from "@tortie/ipam";
import { requirePrereqs, startEtcd, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";

describe.skipIf(requirePrereqs(["etcd"]))("IPAM with an unreachable etcd", () => {
  const tb = useTestbed();

  it("fails with DatastoreUnavailableError within the call timeout", async () => {
    const store = new EtcdStore({ hosts: ["http://127.0.0.1:9"], callTimeoutMs: 1000 });
    const ipam = new Ipam({ store });
    const t0 = Date.now();
    const err = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(DatastoreUnavailableError);
    expect(err.message).toMatch(/etcd unavailable at http:\/\/127\.0\.0\.1:9/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(ipam.applyPool({ name: "p", cidr: "192.0.2.0/24" })).rejects.toThrow(
      DatastoreUnavailableError,
    );
    await store.close();
  });

  it("leaves nothing half-written when etcd stops in the middle of work", async () => {
    const etcd = tb.track(await startEtcd());
    const store = new EtcdStore({ hosts: [etcd.endpoint], callTimeoutMs: 1000 });
    const ipam = new Ipam({ store });
    await ipam.applyPool({ name: "p", cidr: "2001:db8:5::/120", blockSize: 126 });
    const held = new Set<string>();
    const work = (async () => {
      for (let i = 0; ; i++) {
        try {
          await ipam.autoAssign({ handleId: `h${i}`, hostname: `n${i % 3}`, num6: 1 });
          held.add(`h${i}`);
        } catch (e) {
          return e;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    etcd.signal("SIGSTOP"); // etcd freezes: calls time out
    const err = await work;
    expect(err).toBeInstanceOf(DatastoreUnavailableError);
    etcd.signal("SIGCONT");
    // The call that failed may or may not have committed; either way the
    // records agree with each other: every allocation has its handle record.
    const fresh = new Ipam({ store: new EtcdStore({ hosts: [etcd.endpoint] }) });
    const report = await check(fresh, { isLive: () => true, now: 0 });
    expect(report.handleMismatches).toEqual([]);
    expect(report.blockProblems).toEqual([]);
    expect(report.doubleAllocations).toEqual([]);
    expect(report.allocations).toBeGreaterThanOrEqual(held.size);
    expect(report.allocations).toBeLessThanOrEqual(held.size + 1);
    expect(isClean({ ...report, affinityProblems: [] })).toBe(true);
    await store.close();
    await fresh.store.close();
  });
});
