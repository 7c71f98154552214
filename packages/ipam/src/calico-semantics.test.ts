// Calico's IPAM behaviour, one test per behaviour, in Calico's vocabulary
// (pool, block, affinity, handle). Each names the libcalico-go function
// (lib/ipam/ipam.go, ipam_block.go, ipam_block_reader_writer.go) whose
// behaviour it pins; the cases are our own, after reading ipam_test.go.
import { ResourceClient } from "@tortie/api";
import { MemoryStore } from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import { EMPTY_BLOCK_MIN_RECLAIM_AGE_MS } from "./affinity.js";
import { check, isClean, repair } from "./check.js";
import {
  AddressNotInPoolError,
  AffinityMismatchError,
  BlockLimitError,
  BlockNotEmptyError,
  HandleNotFoundError,
  InvalidSizeError,
  IpamConfigConflictError,
  NodeNotFoundError,
  NoEligiblePoolError,
  NoFreeBlocksError,
  PoolExhaustedError,
  PoolFamilyError,
  RequestedPoolError,
  UseNotAllowedError,
} from "./errors.js";
import { Ipam } from "./ipam.js";
import { windowsReserved } from "./model.js";
import { ipamConfigFromResources } from "./resources.js";

function setup(now?: () => number) {
  const store = new MemoryStore();
  const ipam = new Ipam({ store, ...(now ? { now } : {}) });
  const resources = new ResourceClient(store);
  const node = (name: string, labels: Record<string, string>) =>
    resources.apply({
      apiVersion: "projectcalico.org/v3",
      kind: "Node",
      metadata: { name, labels },
      spec: {},
    });
  return { store, ipam, node };
}

const ips = (r: { ipv4: readonly { ip: string }[] }) => r.ipv4.map((a) => a.ip);

describe("AutoAssign returns what it could (Calico autoAssign / IPAMAssignments)", () => {
  it("returns the addresses assigned and PoolExhaustedError as the shortfall when the pool runs out", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "small", cidr: "192.0.2.0/30", blockSize: 30 });
    const r = await ipam.autoAssign({
      handleId: "h",
      hostname: "n1",
      num4: 6,
      allOrNothing: false,
    });
    expect(r.ipv4).toHaveLength(4);
    expect(r.shortfall4?.requested).toBe(6);
    expect(r.shortfall4?.assigned).toBe(4);
    expect(r.shortfall4?.reason).toBeInstanceOf(PoolExhaustedError);
    expect(await ipam.ipsByHandle("h")).toHaveLength(4);
  });

  it("with allOrNothing (the default) keeps nothing and throws the shortfall's error", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "small", cidr: "192.0.2.0/30", blockSize: 30 });
    const err = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 6 }).catch((e) => e);
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect(err).toMatchObject({ requested: 6, available: 4 });
    expect(await ipam.ipsByHandle("h")).toEqual([]);
  });

  it("stops at the block limit with BlockLimitError, keeping what the affine blocks gave", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.setIpamConfiguration({ strictAffinity: true, maxBlocksPerHost: 1 });
    const r = await ipam.autoAssign({
      handleId: "h",
      hostname: "n1",
      num4: 6,
      allOrNothing: false,
    });
    expect(r.ipv4).toHaveLength(4);
    expect(r.shortfall4?.reason).toBeInstanceOf(BlockLimitError);
    expect(r.shortfall4?.reason).toMatchObject({ host: "n1", family: 4, limit: 1 });
  });

  it("reports NoFreeBlocksError when strictAffinity forbids borrowing and no block is free", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/30", blockSize: 30 });
    await ipam.setIpamConfiguration({ strictAffinity: true });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 1 });
    const r = await ipam.autoAssign({
      handleId: "b",
      hostname: "n2",
      num4: 1,
      allOrNothing: false,
    });
    expect(r.ipv4).toEqual([]);
    expect(r.shortfall4?.reason).toBeInstanceOf(NoFreeBlocksError);
    expect(r.shortfall4?.reason).toMatchObject({ reason: "strictAffinity" });
  });
});

describe("block limits and IPAM configuration (Calico autoAssign, SetIPAMConfig)", () => {
  it("counts maxBlocksPerHost per family, over the pools in play", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "a", cidr: "192.0.2.0/28", blockSize: 30 });
    await ipam.applyPool({ name: "b", cidr: "198.51.100.0/28", blockSize: 30 });
    await ipam.applyPool({ name: "v6", cidr: "2001:db8::/120", blockSize: 126 });
    await ipam.setIpamConfiguration({ strictAffinity: true, maxBlocksPerHost: 1 });
    // One IPv4 block and one IPv6 block: the limit is per family.
    const r = await ipam.autoAssign({
      handleId: "h1",
      hostname: "n1",
      num4: 1,
      num6: 1,
      pools4: ["a"],
    });
    expect(r.ipv4).toHaveLength(1);
    expect(r.ipv6).toHaveLength(1);
    // Pool b is not in play when only a is requested: its count starts at 0.
    const b = await ipam.autoAssign({ handleId: "h2", hostname: "n1", num4: 1, pools4: ["b"] });
    expect(b.ipv4[0]!.ip).toMatch(/^198\.51\.100\./);
    // In pool a, n1 already has its one block: 3 more fit, the 4th needs a block.
    await ipam.autoAssign({ handleId: "h3", hostname: "n1", num4: 3, pools4: ["a"] });
    await expect(
      ipam.autoAssign({ handleId: "h4", hostname: "n1", num4: 1, pools4: ["a"] }),
    ).rejects.toThrow(BlockLimitError);
  });

  it("applies Calico's default limit of 20 blocks per host when maxBlocksPerHost is 0, without borrowing", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    const r = await ipam.autoAssign({
      handleId: "h",
      hostname: "n1",
      num4: 100,
      allOrNothing: false,
    });
    expect(r.ipv4).toHaveLength(80);
    expect(r.shortfall4?.reason).toBeInstanceOf(BlockLimitError);
    expect(r.shortfall4?.reason).toMatchObject({ limit: 20 });
  });

  it("validates settings as SetIPAMConfig does, writing nothing when refused", async () => {
    const { ipam, store } = setup();
    const rev = await store.revision();
    const noStrict = await ipam.setIpamConfiguration({ maxBlocksPerHost: 4 }).catch((e) => e);
    expect(noStrict).toBeInstanceOf(IpamConfigConflictError);
    expect(noStrict.message).toMatch(/MaxBlocksPerHost requires StrictAffinity/);
    await expect(ipam.setIpamConfiguration({ autoAllocateBlocks: false })).rejects.toThrow(
      /cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time/,
    );
    await expect(ipam.setIpamConfiguration({ maxBlocksPerhost: 4 } as never)).rejects.toThrow(
      /maxBlocksPerhost: unknown setting \(did you mean maxBlocksPerHost\?\)/,
    );
    expect(await store.revision()).toBe(rev);
    await ipam.setIpamConfiguration({
      strictAffinity: true,
      autoAllocateBlocks: false,
      maxBlocksPerHost: 4,
    });
    expect(await ipam.config(true)).toMatchObject({
      strictAffinity: true,
      autoAllocateBlocks: false,
      maxBlocksPerHost: 4,
    });
    // The same rules hold for an IPAMConfiguration resource.
    expect(() =>
      ipamConfigFromResources([
        {
          apiVersion: "projectcalico.org/v3",
          kind: "IPAMConfiguration",
          metadata: { name: "default" },
          spec: { strictAffinity: false, maxBlocksPerHost: 2, autoAllocateBlocks: true },
        },
      ] as never),
    ).toThrow(IpamConfigConflictError);
  });

  it("with autoAllocateBlocks off assigns only from blocks the host already has", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/28", blockSize: 30 });
    await ipam.setIpamConfiguration({ strictAffinity: true, autoAllocateBlocks: false });
    const err = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(NoFreeBlocksError);
    expect(err).toMatchObject({ reason: "autoAllocateBlocksDisabled" });
    await ipam.claimAffinity("192.0.2.4/30", "n1");
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 1 });
    expect(r.ipv4[0]!.block).toBe("192.0.2.4/30");
  });
});

describe("requested pools (Calico determinePools)", () => {
  it("uses a requested pool even where its nodeSelector does not select the node", async () => {
    const { ipam, node } = setup();
    await node("n1", { rack: "a" });
    await ipam.applyPool({ name: "rack-b", cidr: "192.0.2.0/24", nodeSelector: "rack == 'b'" });
    await expect(ipam.autoAssign({ handleId: "x", hostname: "n1", num4: 1 })).rejects.toThrow(
      NoEligiblePoolError,
    );
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 1, pools4: ["rack-b"] });
    expect(ips(r)[0]).toMatch(/^192\.0\.2\./);
  });

  it("refuses a requested pool that is disabled, unknown, or of the other family, each with its own error", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "on", cidr: "192.0.2.0/24" });
    await ipam.applyPool({ name: "off", cidr: "198.51.100.0/24", disabled: true });
    await ipam.applyPool({ name: "v6", cidr: "2001:db8::/120" });
    const off = await ipam
      .autoAssign({ handleId: "h", hostname: "n", num4: 1, pools4: ["off"] })
      .catch((e) => e);
    expect(off).toBeInstanceOf(RequestedPoolError);
    expect(off).toMatchObject({ pool: "off", reason: "disabled" });
    const unknown = await ipam
      .autoAssign({ handleId: "h", hostname: "n", num4: 1, pools4: ["203.0.113.0/24"] })
      .catch((e) => e);
    expect(unknown).toMatchObject({ name: "RequestedPoolError", reason: "unknown" });
    expect(unknown.message).toMatch(
      /the given pool \(203\.0\.113\.0\/24\) does not exist, or is not enabled/,
    );
    const family = await ipam
      .autoAssign({ handleId: "h", hostname: "n", num4: 1, pools4: ["v6"] })
      .catch((e) => e);
    expect(family).toBeInstanceOf(PoolFamilyError);
    expect(family.message).toMatch(/provided IPv4 IPPools list contains one or more IPv6 IPPools/);
  });
});

describe("node selectors (Calico SelectsNode, prepareAffinityBlocksForHost)", () => {
  it("evaluates a pool's nodeSelector against the labels of the node's Node resource", async () => {
    const { ipam, node } = setup();
    await node("n1", { rack: "a", zone: "west" });
    await node("n2", { rack: "b" });
    await ipam.applyPool({
      name: "rack-a",
      cidr: "192.0.2.0/24",
      nodeSelector: "rack == 'a' && has(zone)",
    });
    await ipam.applyPool({
      name: "rack-b",
      cidr: "198.51.100.0/24",
      nodeSelector: "rack in {'b', 'c'}",
    });
    expect(ips(await ipam.autoAssign({ handleId: "1", hostname: "n1", num4: 1 }))[0]).toMatch(
      /^192\.0\.2\./,
    );
    expect(ips(await ipam.autoAssign({ handleId: "2", hostname: "n2", num4: 1 }))[0]).toMatch(
      /^198\.51\.100\./,
    );
  });

  it("fails with NodeNotFoundError when a selector needs the labels of a node that has no Node resource", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "rack-a", cidr: "192.0.2.0/24", nodeSelector: "rack == 'a'" });
    await expect(ipam.autoAssign({ handleId: "h", hostname: "ghost", num4: 1 })).rejects.toThrow(
      NodeNotFoundError,
    );
  });

  it("releases the node's empty affine blocks of a pool that stops selecting it; blocks in use stay", async () => {
    const { ipam, node } = setup();
    await node("n1", { rack: "a" });
    await ipam.applyPool({
      name: "rack-a",
      cidr: "192.0.2.0/24",
      blockSize: 30,
      nodeSelector: "rack == 'a'",
    });
    await ipam.applyPool({
      name: "rack-b",
      cidr: "198.51.100.0/24",
      blockSize: 30,
      nodeSelector: "rack == 'b'",
    });
    const first = await ipam.autoAssign({ handleId: "keep", hostname: "n1", num4: 5 });
    const blocks = [...new Set(first.ipv4.map((a) => a.block))];
    expect(blocks).toHaveLength(2);
    // Empty the second block; the first keeps four addresses.
    await ipam.releaseIps(first.ipv4.filter((a) => a.block === blocks[1]).map((a) => a.ip));
    await node("n1", { rack: "b" });
    const r = await ipam.autoAssign({ handleId: "new", hostname: "n1", num4: 1 });
    expect(ips(r)[0]).toMatch(/^198\.51\.100\./);
    const mine = (await ipam.listAffinities("n1")).map((a) => a.value.cidr).sort();
    expect(mine).toContain(blocks[0]);
    expect(mine).not.toContain(blocks[1]);
    expect((await ipam.listBlocks()).map((b) => b.cidr)).not.toContain(blocks[1]);
  });
});

describe("consistent affinity on release (Calico ensureConsistentAffinity)", () => {
  it("releasing the last address of a block whose pool no longer selects its node releases the block", async () => {
    const { ipam, node } = setup();
    await node("n1", { rack: "a" });
    await ipam.applyPool({
      name: "rack-a",
      cidr: "192.0.2.0/24",
      blockSize: 30,
      nodeSelector: "rack == 'a'",
    });
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 2 });
    const block = r.ipv4[0]!.block;
    await node("n1", { rack: "b" });
    await ipam.releaseIps([r.ipv4[0]!.ip]); // not empty yet: the block stays n1's
    expect((await ipam.listAffinities("n1")).map((a) => a.value.cidr)).toEqual([block]);
    await ipam.releaseIps([r.ipv4[1]!.ip]);
    expect(await ipam.listAffinities("n1")).toEqual([]);
    expect(await ipam.listBlocks()).toEqual([]);
  });

  it("so does releasing by handle", async () => {
    const { ipam, node } = setup();
    await node("n1", { rack: "a" });
    await ipam.applyPool({
      name: "rack-a",
      cidr: "192.0.2.0/24",
      blockSize: 30,
      nodeSelector: "rack == 'a'",
    });
    await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 2 });
    await node("n1", { rack: "b" });
    expect(await ipam.releaseByHandle("h")).toHaveLength(2);
    expect(await ipam.listAffinities("n1")).toEqual([]);
    expect(await ipam.listBlocks()).toEqual([]);
  });
});

describe("AssignIP (Calico AssignIP, allocationBlock.assign)", () => {
  it("enforces strictAffinity: another host's block is refused, its own is not", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 1 });
    const block = (await ipam.listBlocks())[0]!.cidr;
    const free = block.replace(/\d+\/30$/, (m) => String(Number(m.split("/")[0]) + 3));
    // Without strictAffinity another host may take an address in n1's block.
    await ipam.assignIp({ ip: free, handleId: "b", hostname: "n2" });
    await ipam.releaseByHandle("b");
    await ipam.setIpamConfiguration({ strictAffinity: true });
    const err = await ipam.assignIp({ ip: free, handleId: "b", hostname: "n2" }).catch((e) => e);
    expect(err).toBeInstanceOf(AffinityMismatchError);
    expect(err).toMatchObject({ block, owner: "n1", host: "n2" });
    expect((await ipam.assignIp({ ip: free, handleId: "c", hostname: "n1" })).ip).toBe(free);
  });

  it("refuses an address of a disabled pool as not in a configured pool", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "off", cidr: "192.0.2.0/24", disabled: true });
    const err = await ipam
      .assignIp({ ip: "192.0.2.9", handleId: "h", hostname: "n1" })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AddressNotInPoolError);
    expect(err).toMatchObject({ disabledPool: "off" });
  });

  it("applies reservations to automatic assignment only", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/29", blockSize: 29 });
    await ipam.setReservations(["192.0.2.0/30"]);
    const auto = await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 4 });
    expect(ips(auto).sort()).toEqual(["192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7"]);
    expect((await ipam.assignIp({ ip: "192.0.2.1", handleId: "b", hostname: "n1" })).ip).toBe(
      "192.0.2.1",
    );
  });

  it("refuses an address whose pool does not allow the intended use", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "tun", cidr: "192.0.2.0/24", allowedUses: ["Tunnel"] });
    await expect(
      ipam.assignIp({ ip: "192.0.2.1", handleId: "h", hostname: "n1", use: "Workload" }),
    ).rejects.toThrow(UseNotAllowedError);
    const t = await ipam.assignIp({
      ip: "192.0.2.1",
      handleId: "t",
      hostname: "n1",
      use: "Tunnel",
    });
    expect(t.ip).toBe("192.0.2.1");
  });
});

describe("affinity operations (Calico ClaimAffinity, EnsureBlock, ReleaseAffinity, ReleaseHostAffinities)", () => {
  it("ClaimAffinity claims every block in a CIDR; blocks of another host are reported as failed", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    const a = await ipam.claimAffinity("192.0.2.0/28", "n1");
    expect(a.claimed).toEqual(["192.0.2.0/30", "192.0.2.4/30", "192.0.2.8/30", "192.0.2.12/30"]);
    expect(a.failed).toEqual([]);
    const b = await ipam.claimAffinity("192.0.2.8/29", "n2");
    expect(b).toEqual({ claimed: [], failed: ["192.0.2.8/30", "192.0.2.12/30"] });
    // Claiming again is idempotent for the owner.
    expect((await ipam.claimAffinity("192.0.2.0/30", "n1")).claimed).toEqual(["192.0.2.0/30"]);
    await expect(ipam.claimAffinity("192.0.2.0/31", "n1")).rejects.toThrow(InvalidSizeError);
    await expect(ipam.claimAffinity("203.0.113.0/30", "n1")).rejects.toThrow(AddressNotInPoolError);
    // An abusive CIDR (2^58 blocks) is refused at once instead of enumerated.
    await ipam.applyPool({ name: "big", cidr: "2001:db8::/64" });
    const big = await ipam.claimAffinity("2001:db8::/64", "n1").catch((e) => e);
    expect(big).toBeInstanceOf(InvalidSizeError);
    expect(big).toMatchObject({ reason: "tooManyBlocks" });
  });

  it("EnsureBlock returns the host's block, claiming one only when it has none, and assigns nothing", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 28 });
    const b = await ipam.ensureBlock({ hostname: "n1", family: 4 });
    expect(b).toMatch(/^192\.0\.2\.\d+\/28$/);
    expect(await ipam.ensureBlock({ hostname: "n1", family: 4 })).toBe(b);
    expect((await ipam.listBlocks()).every((x) => x.unallocated.length === 16)).toBe(true);
  });

  it("ReleaseHostAffinities deletes empty blocks and leaves blocks in use without affinity", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.claimAffinity("192.0.2.0/29", "n1");
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "h", hostname: "n1" });
    const r = await ipam.releaseHostAffinities("n1");
    expect(r).toEqual({ deleted: ["192.0.2.4/30"], orphaned: ["192.0.2.0/30"] });
    expect((await ipam.listBlocks()).map((b) => [b.cidr, b.affinity])).toEqual([
      ["192.0.2.0/30", null],
    ]);
    expect(await ipam.listAffinities("n1")).toEqual([]);
  });

  it("ReleaseHostAffinities with mustBeEmpty keeps blocks in use and says so with BlockNotEmptyError", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.claimAffinity("192.0.2.0/29", "n1");
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "h", hostname: "n1" });
    const err = await ipam.releaseHostAffinities("n1", true).catch((e) => e);
    expect(err).toBeInstanceOf(BlockNotEmptyError);
    expect(err).toMatchObject({ block: "192.0.2.0/30", inUse: 1 });
    expect((await ipam.listAffinities("n1")).map((a) => a.value.cidr)).toEqual(["192.0.2.0/30"]);
    expect((await ipam.listBlocks()).map((b) => b.cidr)).toEqual(["192.0.2.0/30"]);
  });

  it("ReleaseAffinity releases the host's blocks inside a CIDR, with or without mustBeEmpty", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.claimAffinity("192.0.2.0/28", "n1");
    await ipam.assignIp({ ip: "192.0.2.5", handleId: "h", hostname: "n1" });
    const r = await ipam.releaseAffinity("192.0.2.8/29", "n1", true);
    expect(new Set(r.deleted)).toEqual(new Set(["192.0.2.8/30", "192.0.2.12/30"]));
    expect(r.orphaned).toEqual([]);
    await expect(ipam.releaseAffinity("192.0.2.4/30", "n1", true)).rejects.toThrow(
      BlockNotEmptyError,
    );
    expect(await ipam.releaseAffinity("192.0.2.0/29", "n1", false)).toEqual({
      deleted: ["192.0.2.0/30"],
      orphaned: ["192.0.2.4/30"],
    });
  });

  it("deletes a stale affinity (its block is another host's) and leaves the block alone", async () => {
    const { ipam, store } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.assignIp({ ip: "192.0.2.1", handleId: "h", hostname: "n1" });
    // A confirmed affinity of n2 for n1's block, as a crash between writes of an older client could leave.
    await store.create(
      ipam.keys.affinity("n2", "192.0.2.0/30"),
      JSON.stringify({ host: "n2", cidr: "192.0.2.0/30", state: "confirmed" }),
    );
    expect(await ipam.releaseBlockAffinity("n2", "192.0.2.0/30")).toBe(false);
    expect(await ipam.listAffinities("n2")).toEqual([]);
    // Claiming over a stale confirmed affinity fails and removes it (Calico errStaleAffinity).
    await store.create(
      ipam.keys.affinity("n2", "192.0.2.0/30"),
      JSON.stringify({ host: "n2", cidr: "192.0.2.0/30", state: "confirmed" }),
    );
    expect(await ipam.claimAffinity("192.0.2.0/30", "n2")).toEqual({
      claimed: [],
      failed: ["192.0.2.0/30"],
    });
    expect(await ipam.listAffinities("n2")).toEqual([]);
    expect((await ipam.listBlocks())[0]).toMatchObject({
      cidr: "192.0.2.0/30",
      affinity: "host:n1",
    });
    expect(await ipam.ipsByHandle("h")).toEqual(["192.0.2.1"]);
  });

  it("ReleasePoolAffinities releases every host's blocks of one pool and no other", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 30 });
    await ipam.applyPool({ name: "q", cidr: "198.51.100.0/24", blockSize: 30 });
    await ipam.claimAffinity("192.0.2.0/30", "n1");
    await ipam.claimAffinity("192.0.2.4/30", "n2");
    await ipam.claimAffinity("198.51.100.0/30", "n1");
    await ipam.assignIp({ ip: "192.0.2.5", handleId: "h", hostname: "n2" });
    expect(await ipam.releasePoolAffinities("p")).toEqual({
      deleted: ["192.0.2.0/30"],
      orphaned: ["192.0.2.4/30"],
    });
    expect((await ipam.listAffinities()).map((a) => a.value.cidr)).toEqual(["198.51.100.0/30"]);
  });

  it("reclaims another host's empty block only after Calico's grace period, when the pools are otherwise full", async () => {
    let now = 1_000_000;
    const { ipam } = setup(() => now);
    await ipam.applyPool({ name: "one", cidr: "192.0.2.0/30", blockSize: 30 });
    await ipam.setIpamConfiguration({ strictAffinity: true });
    await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 1 });
    await ipam.releaseByHandle("a"); // n1's block is empty but still n1's
    now += EMPTY_BLOCK_MIN_RECLAIM_AGE_MS - 1;
    await expect(ipam.autoAssign({ handleId: "b", hostname: "n2", num4: 1 })).rejects.toThrow(
      NoFreeBlocksError,
    );
    now += 1;
    const r = await ipam.autoAssign({ handleId: "b", hostname: "n2", num4: 1 });
    expect(r.ipv4[0]!.block).toBe("192.0.2.0/30");
    expect((await ipam.listBlocks())[0]!.affinity).toBe("host:n2");
    expect(await ipam.listAffinities("n1")).toEqual([]);
  });
});

describe("host-reserved addresses and uses (Calico HostReservedAttr, newBlock, IntendedUse)", () => {
  it("keeps the first three and the last address of each new block for Windows", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 29 });
    const r = await ipam.autoAssign({
      handleId: "h",
      hostname: "win1",
      num4: 4,
      hostReservedAttr4: windowsReserved,
    });
    expect(
      ips(r)
        .map((ip) => Number(ip.split(".")[3]) % 8)
        .sort(),
    ).toEqual([3, 4, 5, 6]);
    const block = r.ipv4[0]!.block;
    const err = await ipam
      .autoAssign({
        handleId: "h2",
        hostname: "win1",
        num4: 1,
        allOrNothing: false,
        hostReservedAttr4: windowsReserved,
        pools4: ["p"],
      })
      .then((x) => x.ipv4[0]!.block);
    expect(err).not.toBe(block); // the reserved four are not handed out
    // A block holding only reserved addresses counts as empty (Calico allocationBlock.empty).
    await ipam.releaseByHandle("h");
    expect(await ipam.releaseBlockAffinity("win1", block)).toBe(true);
  });

  it("leaves host-reserved addresses out of the leak check and repair", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 29 });
    await ipam.autoAssign({
      handleId: "pod",
      hostname: "win1",
      num4: 1,
      hostReservedAttr4: windowsReserved,
    });
    const isLive = (h: string) => h === "pod";
    const report = await check(ipam, { isLive, now: 0 });
    expect(report.allocations).toBe(5); // the pod's address and the four reserved
    expect(isClean(report)).toBe(true);
    const fixed = await repair(ipam, report, { isLive, now: 1, graceMs: 0 });
    expect(fixed.releasedLeaks).toEqual([]);
    expect((await ipam.listBlocks())[0]!.unallocated).toHaveLength(3);
  });

  it("skips pools whose blocks are too small for the reserved addresses", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "tiny", cidr: "192.0.2.0/24", blockSize: 30 });
    const err = await ipam
      .autoAssign({ handleId: "h", hostname: "win1", num4: 1, hostReservedAttr4: windowsReserved })
      .catch((e) => e);
    expect(err).toBeInstanceOf(NoEligiblePoolError);
  });

  it("gives Tunnel addresses only from pools that allow Tunnel use", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "pods", cidr: "192.0.2.0/24", allowedUses: ["Workload"] });
    await ipam.applyPool({ name: "tun", cidr: "198.51.100.0/24", allowedUses: ["Tunnel"] });
    const t = await ipam.autoAssign({
      handleId: "ipip-tunnel-addr-n1",
      hostname: "n1",
      num4: 1,
      use: "Tunnel",
    });
    expect(ips(t)[0]).toMatch(/^198\.51\.100\./);
    const w = await ipam.autoAssign({ handleId: "pod", hostname: "n1", num4: 1, use: "Workload" });
    expect(ips(w)[0]).toMatch(/^192\.0\.2\./);
  });
});

describe("utilization (Calico GetUtilization)", () => {
  it("reports capacity, in use, reserved and available per pool and block", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24", blockSize: 26 });
    await ipam.setReservations(["192.0.2.0/30", "192.0.2.192/28", "192.0.2.200/29"]);
    const r = await ipam.autoAssign({ handleId: "h", hostname: "n1", num4: 5 });
    const [pool, orphans] = await ipam.getUtilization();
    const block = pool!.blocks[0]!;
    expect(block.cidr).toBe(r.ipv4[0]!.block);
    const reservedHere =
      block.cidr === "192.0.2.0/26" ? 4 : block.cidr === "192.0.2.192/26" ? 16 : 0;
    expect(block).toMatchObject({ capacity: 64, inUse: 5, reserved: reservedHere });
    expect(block.available).toBe(64 - 5 - reservedHere);
    expect(pool).toMatchObject({ name: "p", capacity: 256, inUse: 5, reserved: 20 });
    // Available = free in blocks + space not carved into blocks, less reservations.
    expect(pool!.available).toBe(256 - 5 - 20);
    expect(orphans).toMatchObject({ name: "orphaned allocation blocks", blocks: [] });
    expect(await ipam.getUtilization({ pools: ["192.0.2.0/24"] })).toHaveLength(1);
  });
});

describe("lenient where Calico is lenient (ReleaseIPs, IPsByHandle, garbageCollect order)", () => {
  it("reports an address outside every pool as not allocated", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/24" });
    expect(await ipam.releaseIps(["203.0.113.7"])).toEqual({
      released: [],
      unallocated: ["203.0.113.7"],
    });
  });

  it("gives a typed not-found for an unknown handle when asked to", async () => {
    const { ipam } = setup();
    await expect(ipam.ipsByHandle("nope", { mustExist: true })).rejects.toThrow(
      HandleNotFoundError,
    );
    await expect(ipam.releaseByHandle("nope", { mustExist: true })).rejects.toThrow(
      HandleNotFoundError,
    );
    expect(await ipam.ipsByHandle("nope")).toEqual([]);
  });

  it("hands freed addresses out again last, in the order they were freed", async () => {
    const { ipam } = setup();
    await ipam.applyPool({ name: "p", cidr: "192.0.2.0/29", blockSize: 29 });
    const a = await ipam.autoAssign({ handleId: "a", hostname: "n1", num4: 4 });
    expect(ips(a)).toEqual(["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]);
    await ipam.releaseIps(["192.0.2.2"]);
    await ipam.releaseIps(["192.0.2.0"]);
    const b = await ipam.autoAssign({ handleId: "b", hostname: "n1", num4: 6 });
    expect(ips(b)).toEqual([
      "192.0.2.4",
      "192.0.2.5",
      "192.0.2.6",
      "192.0.2.7",
      "192.0.2.2",
      "192.0.2.0",
    ]);
  });
});
