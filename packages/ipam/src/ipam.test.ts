import { MemoryStore } from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import { countingStore } from "../test/counting-store.js";
import { check, isClean, repair } from "./check.js";
import {
  AddressInUseError,
  AddressNotInPoolError,
  BlockLimitError,
  InvalidAddressError,
  InvalidPoolError,
  NoEligiblePoolError,
  NoFreeBlocksError,
  PoolExhaustedError,
  PoolOverlapError,
  ReleaseConflictError,
  SelectorUnsupportedError,
} from "./errors.js";
import { Ipam } from "./ipam.js";
import { allOnly } from "./pools.js";
import { exportBlockAffinities, formatUsage, usage } from "./usage.js";

async function setup(
  pools = [{ name: "p4", cidr: "192.0.2.0/24" }],
  opts: { blockSize?: number } = {},
) {
  const store = new MemoryStore();
  const ipam = new Ipam({ store });
  for (const p of pools)
    await ipam.applyPool({ ...p, ...(opts.blockSize ? { blockSize: opts.blockSize } : {}) });
  return { store, ipam };
}

const allIps = async (ipam: Ipam) => {
  const out: string[] = [];
  for (const b of await ipam.listBlocks()) {
    const base = b.cidr.split("/")[0]!;
    b.allocations.forEach((a, o) => {
      if (a !== null) out.push(`${base}+${o}`);
    });
  }
  return out;
};

describe("pools", () => {
  it("fills Calico's defaults", async () => {
    const { ipam } = await setup([
      { name: "v4", cidr: "192.0.2.0/24" },
      { name: "v6", cidr: "2001:db8::/112" },
    ]);
    const cfg = await ipam.config(true);
    expect(cfg.pools.map((p) => [p.name, p.blockSize, p.nodeSelector, p.assignmentMode])).toEqual([
      ["v4", 26, "all()", "Automatic"],
      ["v6", 122, "all()", "Automatic"],
    ]);
    expect(cfg.pools[0]!.allowedUses).toEqual(["Workload", "Tunnel"]);
  });

  it("rejects overlapping pools, bad block sizes and bad CIDRs, writing nothing", async () => {
    const { ipam, store } = await setup();
    const rev = await store.revision();
    await expect(ipam.applyPool({ name: "b", cidr: "192.0.2.128/25" })).rejects.toThrow(
      PoolOverlapError,
    );
    await expect(ipam.applyPool({ name: "b", cidr: "192.0.2.128/25" })).rejects.toThrow(
      /192\.0\.2\.128\/25 overlaps existing pool 192\.0\.2\.0\/24/,
    );
    const small = await ipam
      .applyPool({ name: "c", cidr: "198.51.100.0/26", blockSize: 24 })
      .catch((e) => e);
    expect(small).toBeInstanceOf(InvalidPoolError);
    expect(small.message).toMatch(
      /blockSize: a \/24 block is larger than the pool 198\.51\.100\.0\/26/,
    );
    await expect(
      ipam.applyPool({ name: "d", cidr: "198.51.100.0/24", blockSize: 19 }),
    ).rejects.toThrow(/between 20 and 32/);
    await expect(ipam.applyPool({ name: "e", cidr: "198.51.100.1/24" })).rejects.toThrow(
      /host bits/,
    );
    await expect(ipam.applyPool({ name: "f", cidr: "nonsense" })).rejects.toThrow(InvalidPoolError);
    await expect(ipam.applyPool({ name: "Bad_Name", cidr: "203.0.113.0/24" })).rejects.toThrow(
      /DNS-1123/,
    );
    expect(await store.revision()).toBe(rev);
  });
});

describe("auto-assign", () => {
  it("gives addresses from a block affine to the node, and a new block when it is full", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/24" }], { blockSize: 29 });
    const a = await ipam.autoAssign({
      handleId: "h1",
      hostname: "n1",
      num4: 3,
      attrs: { pod: "a" },
    });
    expect(a.ipv4).toHaveLength(3);
    const block = a.ipv4[0]!.block;
    expect(a.ipv4.every((x) => x.block === block)).toBe(true);
    const b = await ipam.autoAssign({ handleId: "h2", hostname: "n1", num4: 6 });
    expect(new Set(b.ipv4.map((x) => x.block)).size).toBe(2); // 5 left in the first, then a second block
    const blocks = await ipam.listBlocks();
    expect(blocks.map((x) => x.affinity)).toEqual(["host:n1", "host:n1"]);
    expect(await ipam.ipsByHandle("h1")).toEqual(a.ipv4.map((x) => x.ip));
    const affs = await exportBlockAffinities(ipam);
    expect(affs.map((x) => x.spec.state)).toEqual(["confirmed", "confirmed"]);
    expect(affs[0]).toMatchObject({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BlockAffinity",
      spec: { node: "n1", deleted: "false" },
    });
    expect(affs[0]!.metadata.name).toMatch(/^n1-192-0-2-\d+-29$/);
  });

  it("assigns IPv4 and IPv6 together for one handle", async () => {
    const { ipam } = await setup([
      { name: "v4", cidr: "192.0.2.0/24" },
      { name: "v6", cidr: "2001:db8:1::/120" },
    ]);
    const r = await ipam.autoAssign({ handleId: "pod", hostname: "n1", num4: 1, num6: 2 });
    expect(r.ipv4).toHaveLength(1);
    expect(r.ipv6.map((x) => x.ip).every((ip) => ip.startsWith("2001:db8:1::"))).toBe(true);
    expect(await ipam.ipsByHandle("pod")).toHaveLength(3);
    expect(await ipam.releaseByHandle("pod")).toHaveLength(3);
    expect(await ipam.ipsByHandle("pod")).toEqual([]);
  });

  it("gives two nodes different blocks, and borrows only without strictAffinity", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/28" }], { blockSize: 29 });
    const a = await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 8 });
    const b = await ipam.autoAssign({ handleId: "b", hostname: "n2", num4: 4 });
    expect(a.ipv4[0]!.block).not.toBe(b.ipv4[0]!.block);
    // n3 finds no free block: it borrows from n2's.
    const c = await ipam.autoAssign({ handleId: "c", hostname: "n3", num4: 2 });
    expect(c.ipv4[0]!.block).toBe(b.ipv4[0]!.block);
    // Pools full without strictAffinity: the pool is exhausted.
    const full = await ipam.autoAssign({ handleId: "e", hostname: "n3", num4: 3 }).catch((e) => e);
    expect(full).toBeInstanceOf(PoolExhaustedError);
    expect(full.message).toMatch(
      /requested 3, could assign 2 from 192\.0\.2\.0\/28; nothing was assigned/,
    );
    // With strictAffinity n3 may not borrow: Calico's "no more free affine blocks".
    await ipam.setIpamConfiguration({ strictAffinity: true });
    const err = await ipam.autoAssign({ handleId: "d", hostname: "n3", num4: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(NoFreeBlocksError);
    expect(err).toMatchObject({ reason: "strictAffinity", requested: 1, available: 0 });
  });

  it("honours maxBlocksPerHost", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/24" }], { blockSize: 30 });
    await ipam.setIpamConfiguration({ maxBlocksPerHost: 2, strictAffinity: true });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 8 });
    await expect(ipam.autoAssign({ handleId: "b", hostname: "n1", num4: 1 })).rejects.toThrow(
      BlockLimitError,
    );
    expect((await ipam.listBlocks()).length).toBe(2);
  });

  it("is all or nothing when a pool is exhausted", async () => {
    const { ipam, store } = await setup([{ name: "p", cidr: "192.0.2.0/29" }], { blockSize: 29 });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 5 });
    const before = await allIps(ipam);
    const err = await ipam.autoAssign({ handleId: "b", hostname: "n1", num4: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect(err).toMatchObject({ requested: 4, available: 3 });
    expect(await allIps(ipam)).toEqual(before);
    expect(await store.get(ipam.keys.handle("b"))).toBeUndefined();
    expect(isClean(await check(ipam, { isLive: (h) => h === "a", now: 0 }))).toBe(true);
  });

  it("rolls back IPv4 when IPv6 cannot be had", async () => {
    const { ipam } = await setup([{ name: "v4", cidr: "192.0.2.0/24" }]);
    await expect(
      ipam.autoAssign({ handleId: "x", hostname: "n1", num4: 1, num6: 1 }),
    ).rejects.toThrow(NoEligiblePoolError);
    expect(await ipam.ipsByHandle("x")).toEqual([]);
    expect((await usage(ipam)).pools[0]!.inUse).toBe(0);
  });

  it("skips reserved addresses and disabled, Manual and unselected pools", async () => {
    const store = new MemoryStore();
    const ipam = new Ipam({
      store,
      selector: (sel, labels) =>
        sel === "all()" || labels.zone === sel.split("==")[1]?.trim().replace(/'/g, ""),
    });
    await ipam.applyPool({ name: "off", cidr: "198.51.100.0/24", disabled: true });
    await ipam.applyPool({ name: "manual", cidr: "203.0.113.0/25", assignmentMode: "Manual" });
    await ipam.applyPool({ name: "zone-b", cidr: "203.0.113.128/25", nodeSelector: "zone == 'b'" });
    await ipam.applyPool({ name: "main", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.setReservations(["192.0.2.0/31"]);
    const r = await ipam.autoAssign({
      handleId: "h",
      hostname: "n1",
      num4: 2,
      nodeLabels: { zone: "a" },
    });
    expect(r.ipv4.map((x) => x.ip).sort()).not.toContain("192.0.2.0");
    expect(r.ipv4.every((x) => x.ip.startsWith("192.0.2."))).toBe(true);
    expect(r.ipv4.some((x) => x.ip === "192.0.2.1")).toBe(false);
    const z = await ipam.autoAssign({
      handleId: "z",
      hostname: "n2",
      num4: 1,
      nodeLabels: { zone: "b" },
      pools4: ["zone-b"],
    });
    expect(z.ipv4[0]!.ip).toMatch(/^203\.0\.113\.(1[3-9]\d|2\d\d)$/);
    const m = await ipam.autoAssign({ handleId: "m", hostname: "n2", num4: 1, pools4: ["manual"] });
    expect(m.ipv4[0]!.ip).toMatch(/^203\.0\.113\./);
    // Reservations bind automatic assignment only: AssignIP may take a reserved address (Calico).
    expect((await ipam.assignIp({ ip: "192.0.2.1", handleId: "q", hostname: "n1" })).ip).toBe(
      "192.0.2.1",
    );
  });

  it("keeps Tunnel-only pools for tunnel addresses", async () => {
    const { ipam } = await setup([]);
    await ipam.applyPool({ name: "tun", cidr: "203.0.113.0/24", allowedUses: ["Tunnel"] });
    await expect(ipam.autoAssign({ handleId: "pod", hostname: "n1", num4: 1 })).rejects.toThrow(
      NoEligiblePoolError,
    );
    const t = await ipam.autoAssign({
      handleId: "ipip-tunnel-addr-n1",
      hostname: "n1",
      num4: 1,
      use: "Tunnel",
    });
    expect(t.ipv4[0]!.ip).toMatch(/^203\.0\.113\./);
  });

  it("claims blocks in a /64 IPv6 pool (2^58 blocks) without enumerating it", async () => {
    const { ipam } = await setup([{ name: "big", cidr: "2001:db8:ffff::/64" }]);
    const t0 = Date.now();
    const hosts = ["a", "b", "c", "d"];
    const got = await Promise.all(
      hosts.map((h) => ipam.autoAssign({ handleId: h, hostname: h, num6: 1 })),
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    const blocks = got.map((g) => g.ipv6[0]!.block);
    expect(new Set(blocks).size).toBe(4);
    expect(blocks.every((b) => /^2001:db8:ffff:[0-9a-f:]+\/122$/.test(b))).toBe(true);
  });

  it("refuses selectors an injected evaluator cannot evaluate", async () => {
    const ipam = new Ipam({ store: new MemoryStore(), selector: allOnly });
    await ipam.applyPool({ name: "s", cidr: "192.0.2.0/24", nodeSelector: "rack == 'r1'" });
    await expect(
      ipam.autoAssign({ handleId: "h", hostname: "n", num4: 1, nodeLabels: {} }),
    ).rejects.toThrow(SelectorUnsupportedError);
  });

  it("re-reads a cached configuration before saying there is no pool", async () => {
    // Another client (the admin, another process) adds the pool after this
    // client read the configuration; the 1 s cache still says "no pools".
    const store = new MemoryStore();
    const now = 1_000_000;
    const node = new Ipam({ store, now: () => now });
    const admin = new Ipam({ store });
    expect((await node.config()).pools).toEqual([]);
    await admin.applyPool({ name: "p", cidr: "192.0.2.0/24" });
    const r = await node.autoAssign({ handleId: "h", hostname: "n1", num4: 1 });
    expect(r.ipv4).toHaveLength(1);
    const fixed = await node.assignIp({ ip: "192.0.2.200", handleId: "f", hostname: "n1" });
    expect(fixed.ip).toBe("192.0.2.200");
    // Still no eligible pool after a fresh read: the error stands.
    await expect(node.autoAssign({ handleId: "h6", hostname: "n1", num6: 1 })).rejects.toThrow(
      NoEligiblePoolError,
    );
    await expect(
      node.assignIp({ ip: "198.51.100.1", handleId: "x", hostname: "n1" }),
    ).rejects.toThrow(AddressNotInPoolError);
  });

  it("costs one round trip per assignment in the steady state", async () => {
    const inner = new MemoryStore();
    const store = countingStore(inner);
    const ipam = new Ipam({ store });
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24" });
    await ipam.autoAssign({ handleId: "warm", hostname: "n1", num4: 1 });
    store.reset();
    for (let i = 0; i < 20; i++)
      await ipam.autoAssign({ handleId: `h${i}`, hostname: "n1", num4: 1 });
    expect(store.calls).toBe(20);
    store.reset();
    for (let i = 0; i < 20; i++) await ipam.releaseByHandle(`h${i}`);
    expect(store.calls).toBeLessThanOrEqual(40);
  });

  it("costs one round trip per assignment from a requested pool while the node has blocks elsewhere", async () => {
    const inner = new MemoryStore();
    const store = countingStore(inner);
    const ipam = new Ipam({ store });
    await ipam.applyPool({ name: "a", cidr: "192.0.2.0/24" });
    await ipam.applyPool({ name: "b", cidr: "198.51.100.0/24" });
    await ipam.autoAssign({ handleId: "in-a", hostname: "n1", num4: 1, pools4: ["a"] });
    await ipam.autoAssign({ handleId: "warm", hostname: "n1", num4: 1, pools4: ["b"] });
    store.reset();
    for (let i = 0; i < 10; i++)
      await ipam.autoAssign({ handleId: `h${i}`, hostname: "n1", num4: 1, pools4: ["b"] });
    expect(store.calls).toBe(10); // no Node read for the block in pool a (its selector is all())
  });

  it("costs six store calls for a node's first address (its block claim included)", async () => {
    const inner = new MemoryStore();
    await new Ipam({ store: inner }).applyPool({ name: "p", cidr: "192.0.2.0/24" });
    const store = countingStore(inner);
    const ipam = new Ipam({ store });
    await ipam.autoAssign({ handleId: "first", hostname: "n1", num4: 1 });
    // config, the host's affinities, the block names, pending affinity,
    // block + confirmed affinity, block + handle.
    expect(store.calls).toBe(6);
  });
});

describe("specific addresses and release", () => {
  it("assigns a given address, refuses it twice and outside every pool", async () => {
    const { ipam } = await setup();
    const a = await ipam.assignIp({ ip: "192.0.2.77", handleId: "h1", hostname: "n1" });
    expect(a.block).toBe("192.0.2.64/26");
    const dup = await ipam
      .assignIp({ ip: "192.0.2.77", handleId: "h2", hostname: "n2" })
      .catch((e) => e);
    expect(dup).toBeInstanceOf(AddressInUseError);
    expect(dup.message).toBe("address 192.0.2.77 is already in use by handle h1");
    await expect(
      ipam.assignIp({ ip: "203.0.113.1", handleId: "h3", hostname: "n1" }),
    ).rejects.toThrow(AddressNotInPoolError);
    await expect(
      ipam.assignIp({ ip: "not-an-ip", handleId: "h3", hostname: "n1" }),
    ).rejects.toThrow(InvalidAddressError);
    // Auto-assign on n1 uses the same block and never hands out .77.
    const r = await ipam.autoAssign({ handleId: "h4", hostname: "n1", num4: 64 - 1 });
    expect(r.ipv4.map((x) => x.ip)).not.toContain("192.0.2.77");
  });

  it("releases by address and by handle, idempotently", async () => {
    const { ipam } = await setup();
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 3 });
    const [x, y] = r.ipv4.map((a) => a.ip);
    expect(await ipam.releaseIps([x!])).toEqual({ released: [x], unallocated: [] });
    expect(await ipam.releaseIps([x!])).toEqual({ released: [], unallocated: [x] });
    expect((await ipam.ipsByHandle("h")).sort()).toEqual(
      r.ipv4
        .slice(1)
        .map((a) => a.ip)
        .sort(),
    );
    await expect(ipam.releaseIps([{ ip: y!, handleId: "other" }])).rejects.toThrow(
      ReleaseConflictError,
    );
    expect((await ipam.releaseByHandle("h")).length).toBe(2);
    expect(await ipam.releaseByHandle("h")).toEqual([]);
    expect(await ipam.releaseIps(["203.0.113.9"])).toEqual({
      released: [],
      unallocated: ["203.0.113.9"],
    });
    expect(isClean(await check(ipam, { isLive: () => true, now: 0 }))).toBe(true);
  });

  it("releases addresses of a deleted pool whose blocks remain", async () => {
    const { ipam, store } = await setup();
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 2 });
    await ipam.deletePool("p4");
    const other = new Ipam({ store }); // a client with nothing cached
    expect((await other.releaseIps([r.ipv4[0]!.ip])).released).toEqual([r.ipv4[0]!.ip]);
    expect(await other.releaseByHandle("h")).toEqual([r.ipv4[1]!.ip]);
    expect((await other.releaseIps(["203.0.113.1"])).unallocated).toEqual(["203.0.113.1"]);
  });

  it("never lets a stale release free a newer allocation of the address (ABA)", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/30" }], { blockSize: 30 });
    const first = await ipam.assignIp({ ip: "192.0.2.1", handleId: "same", hostname: "n1" });
    await ipam.releaseIps(["192.0.2.1"]);
    const second = await ipam.assignIp({ ip: "192.0.2.1", handleId: "same", hostname: "n1" });
    expect(second.sequenceNumber).toBeGreaterThan(first.sequenceNumber);
    const stale = { ip: "192.0.2.1", handleId: "same", sequenceNumber: first.sequenceNumber };
    const err = await ipam.releaseIps([stale]).catch((e) => e);
    expect(err).toBeInstanceOf(ReleaseConflictError);
    expect(err).toMatchObject({
      address: "192.0.2.1",
      field: "sequenceNumber",
      requested: first.sequenceNumber,
      expected: second.sequenceNumber,
    });
    expect(await ipam.ipsByHandle("same")).toEqual(["192.0.2.1"]);
  });

  it("releases one empty block's affinity, never a block in use", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/24" }], { blockSize: 30 });
    const r = await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 6 });
    const [b1, b2] = [...new Set(r.ipv4.map((x) => x.block))];
    await ipam.releaseIps(r.ipv4.filter((x) => x.block === b1).map((x) => x.ip));
    expect(await ipam.releaseBlockAffinity("n1", b2!)).toBe(false);
    expect(await ipam.releaseBlockAffinity("n2", b1!)).toBe(false);
    expect(await ipam.releaseBlockAffinity("n1", b1!)).toBe(true);
    expect((await ipam.listBlocks()).map((b) => b.cidr)).toEqual([b2]);
    expect((await exportBlockAffinities(ipam)).map((a) => a.spec.cidr)).toEqual([b2]);
    // The next assignment on n1 uses the remaining block, then claims anew.
    const next = await ipam.autoAssign({ handleId: "b", hostname: "n1", num4: 1 });
    expect(next.ipv4[0]!.block).not.toBe(b1);
    expect(isClean(await check(ipam, { isLive: () => true, now: 0 }))).toBe(true);
  });

  it("releases a node's affinities: empty blocks go, used blocks stay without affinity", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/24" }], { blockSize: 30 });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 6 });
    await ipam.releaseIps((await ipam.ipsByHandle("a")).slice(0, 4));
    const before = await usage(ipam);
    expect(before.hosts.n1).toEqual({ blocks: 2, inUse: 2 });
    const text = formatUsage(before).split("\n");
    expect(text[0]).toMatch(/^GROUPING\s+CIDR\s+IPS TOTAL\s+IPS IN USE\s+IPS FREE\s+HOST$/);
    expect(text[1]).toMatch(/^IP Pool\s+192\.0\.2\.0\/24\s+256\s+2 \(1%\)\s+254 \(99%\)$/);
    expect(
      text
        .slice(2)
        .every((l) => /^Block\s+192\.0\.2\.\d+\/30\s+4\s+\d \(\d+%\)\s+\d \(\d+%\)\s+n1$/.test(l)),
    ).toBe(true);
    const r = await ipam.releaseHostAffinities("n1");
    expect(r.deleted).toHaveLength(1);
    expect(r.orphaned).toHaveLength(1);
    const after = await usage(ipam);
    expect(after.hosts).toEqual({});
    expect(after.pools[0]!.blocks).toMatchObject([{ host: null, inUse: 2 }]);
    expect(await exportBlockAffinities(ipam)).toEqual([]);
    // Releasing the rest deletes the orphaned block.
    await ipam.releaseByHandle("a");
    expect(await ipam.listBlocks()).toEqual([]);
    expect(isClean(await check(ipam, { isLive: () => true, now: 0 }))).toBe(true);
  });
});

describe("check and repair", () => {
  it("finds leaks and inconsistencies, and repairs them only after the grace period", async () => {
    const { ipam, store } = await setup([{ name: "p", cidr: "192.0.2.0/24" }], { blockSize: 28 });
    await ipam.autoAssign({ handleId: "live", hostname: "n1", num4: 2 });
    await ipam.autoAssign({ handleId: "dead", hostname: "n1", num4: 3 });
    // Damage: a pending affinity from a crashed claim, a stray handle, a lost affinity record.
    await store.create(
      ipam.keys.affinity("n2", "192.0.2.240/28"),
      JSON.stringify({ host: "n2", cidr: "192.0.2.240/28", state: "pending" }),
    );
    await store.create(
      ipam.keys.handle("ghost"),
      JSON.stringify({ handleId: "ghost", block: { "192-0-2-0-28": 1 } }),
    );
    const isLive = (h: string) => h === "live";
    const report = await check(ipam, { isLive, now: 1000 });
    expect(report.allocations).toBe(5);
    expect(report.leaks.map((l) => l.handleId)).toEqual(["dead", "dead", "dead"]);
    expect(report.affinityProblems.map((p) => p.kind)).toEqual(["pending"]);
    expect(report.handleMismatches.map((m) => m.handleId)).toEqual(["ghost"]);
    expect(report.doubleAllocations).toEqual([]);

    const early = await repair(ipam, report, { isLive, now: 1500, graceMs: 1000 });
    expect(early.releasedLeaks).toEqual([]);
    expect(early.skippedLeaks).toHaveLength(3);

    const done = await repair(ipam, report, { isLive, now: 2500, graceMs: 1000 });
    expect(done.releasedLeaks).toHaveLength(3);
    expect([...done.fixedHandles].sort()).toEqual(["ghost"]);
    expect(done.fixedAffinities).toEqual(["n2 192.0.2.240/28"]);
    const again = await check(ipam, { isLive, now: 3000 });
    expect(isClean(again)).toBe(true);
    expect(again.allocations).toBe(2);
  });

  it("never releases an address that became live or was re-assigned after the report", async () => {
    const { ipam } = await setup([{ name: "p", cidr: "192.0.2.0/30" }], { blockSize: 30 });
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "old", hostname: "n1" });
    await ipam.assignIp({ ip: "192.0.2.2", handleId: "slow", hostname: "n1" });
    const report = await check(ipam, { isLive: () => false, now: 0 });
    expect(report.leaks).toHaveLength(2);
    // Meanwhile .1 is released and handed to a new pod with the same handle
    // name (a restarted container), and "slow" turns out to be live.
    await ipam.releaseIps(["192.0.2.1"]);
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "old", hostname: "n1" });
    const isLive = (h: string) => h === "slow";
    const r = await repair(ipam, report, { isLive, now: 10_000, graceMs: 1000 });
    expect(r.releasedLeaks).toEqual([]);
    expect([...r.skippedLeaks].sort()).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect(await ipam.ipsByHandle("old")).toEqual(["192.0.2.1"]);
  });

  it("detects and repairs a damaged free list without freeing what is allocated", async () => {
    const { ipam, store } = await setup([{ name: "p", cidr: "192.0.2.0/30" }], { blockSize: 30 });
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "a", hostname: "n1" });
    const key = ipam.keys.block("192.0.2.0/30");
    const kv = (await store.get(key))!;
    const b = JSON.parse(kv.value);
    b.unallocated = [0, 1, 2, 3]; // .1 listed free while allocated: would be handed out twice
    await store.update(key, JSON.stringify(b), kv.modRevision);
    const report = await check(ipam, { isLive: () => true, now: 0 });
    expect(report.blockProblems[0]!.problems).toContain("ordinal 1 is both allocated and free");
    const r = await repair(ipam, report, { isLive: () => true, now: 0, graceMs: 0 });
    expect(r.fixedBlocks).toEqual(["192.0.2.0/30"]);
    const fresh = new Ipam({ store });
    const got = await fresh.autoAssign({ handleId: "b", hostname: "n1", num4: 3 });
    expect(got.ipv4.map((x) => x.ip)).not.toContain("192.0.2.1");
    expect(isClean(await check(fresh, { isLive: () => true, now: 0 }))).toBe(true);
  });
});
