// Hosts racing to claim the same free block, on a real etcd and on the
// embedded store (one SQLite file), with the race forced on every run: each
// client has its own connection, and an interleaving (test/interleave.ts)
// holds every client's block-creating transaction until all of them have
// read the store and found the block free, then sends them one by one.
//
// What must hold (Calico `claimAffineBlock`: the block is created only if it
// does not exist; the loser finds it owned by another host, deletes its
// pending affinity and answers `errBlockClaimConflict`): exactly one host
// owns the block; the others borrow from it or claim another block; no
// address is handed out twice; the store's records agree with each other
// and with what the clients were told; `check` finds nothing.
import { EMPTY_BLOCK_MIN_RECLAIM_AGE_MS, Ipam } from "@tortie/ipam";
import { expect, it } from "vitest";
import { type Backend, describeOnStores } from "./backends.js";
import {
  assignsInBlock,
  claimsBlock,
  createsPendingAffinity,
  deletesBlock,
  Interleaving,
  pauseFirstGet,
} from "./interleave.js";
import {
  assignAll,
  closeAll,
  expectStoreConsistent,
  givenMap,
  names,
  openClients,
} from "./race.js";

/** Several hosts, one free block: one owner, the others borrow. */
async function oneFreeBlock(b: Backend, root: string): Promise<void> {
  const admin = b.open();
  await new Ipam({ store: admin, root }).applyPool({
    name: "one",
    cidr: "192.0.2.0/26",
    blockSize: 26,
  });
  await admin.close();
  const hosts = names("host", 8);
  const claim = new Interleaving(hosts.length);
  const clients = openClients(b, root, hosts, [{ gate: claim, match: claimsBlock(root) }]);
  try {
    const got = await assignAll(clients, { num4: 1 });
    const raw = await expectStoreConsistent(b, root, givenMap(got));
    // Every host tried to create the block after all had found it free; only the first write won.
    expect(claim.outcomes.map((o) => o.succeeded)).toEqual([
      true,
      ...hosts.slice(1).map(() => false),
    ]);
    const owner = claim.sequence[0]!;
    expect([...raw.blocks.values()].map((x) => x.affinity)).toEqual([`host:${owner}`]);
    expect(raw.affinities).toEqual([{ host: owner, block: "192-0-2-0-26", state: "confirmed" }]);
    expect(got.every((g) => g.ips.length === 1)).toBe(true);
  } finally {
    await closeAll(clients);
  }
}

/**
 * More hosts than blocks: twelve hosts, four /26 blocks of a /24, twenty
 * addresses each. At least eight of the first claims collide.
 */
async function moreHostsThanBlocks(b: Backend, root: string): Promise<void> {
  const admin = b.open();
  await new Ipam({ store: admin, root }).applyPool({
    name: "quad",
    cidr: "198.51.100.0/24",
    blockSize: 26,
  });
  await admin.close();
  const hosts = names("node", 12);
  const claim = new Interleaving(hosts.length);
  const clients = openClients(b, root, hosts, [{ gate: claim, match: claimsBlock(root) }]);
  try {
    const got = await assignAll(clients, { num4: 20 });
    const given = givenMap(got);
    expect(given.size).toBe(240);
    const raw = await expectStoreConsistent(b, root, given);
    expect(raw.blocks.size).toBe(4);
    expect(raw.affinities.length).toBe(4);
    // The first claims were all sent after every host had found its block free.
    const won = claim.outcomes.filter((o) => o.succeeded).length;
    expect(won, JSON.stringify(claim.outcomes)).toBeGreaterThanOrEqual(1);
    expect(won, JSON.stringify(claim.outcomes)).toBeLessThanOrEqual(4);
  } finally {
    await closeAll(clients);
  }
}

/**
 * Several clients of one host (several CNI ADDs on one node) race for the
 * one free block: the pending affinity is created once and shared, one
 * client creates the block, the others find it the host's and confirm the
 * affinity (Calico: "Block is already claimed by this host, confirm the
 * affinity"). Both steps are held and released in the same fixed order.
 */
async function oneHostManyClients(b: Backend, root: string): Promise<void> {
  const admin = b.open();
  await new Ipam({ store: admin, root }).applyPool({
    name: "one",
    cidr: "192.0.2.64/26",
    blockSize: 26,
  });
  await admin.close();
  const parties = names("cni", 6);
  const pending = new Interleaving(parties.length, { order: parties });
  const claim = new Interleaving(parties.length, { order: parties });
  const clients = openClients(b, root, parties, [
    { gate: pending, match: createsPendingAffinity(root) },
    { gate: claim, match: claimsBlock(root) },
  ]);
  try {
    const got = await assignAll(clients, { num4: 1, hostname: "node-a" });
    const raw = await expectStoreConsistent(b, root, givenMap(got));
    expect(raw.affinities).toEqual([
      { host: "node-a", block: "192-0-2-64-26", state: "confirmed" },
    ]);
    // The pending affinity was created once; the first confirmation created the block.
    const firstOnly = parties.map((_, i) => i === 0);
    expect(pending.outcomes.map((o) => o.succeeded)).toEqual(firstOnly);
    expect(claim.outcomes.map((o) => o.succeeded)).toEqual(firstOnly);
    expect(got.map((g) => g.ips.length)).toEqual(parties.map(() => 1));
  } finally {
    await closeAll(clients);
  }
}

/**
 * A host reclaims another host's empty block (Calico `findUsableBlock`: the
 * pools are full and the block was claimed more than a minute ago) while
 * its owner allocates in it. Both have read the block empty at one
 * revision; the owner's assignment is sent first. The reclaim must then
 * fail (Calico releases the affinity only "if the block hasn't been changed
 * since we read it"), and the reclaimer borrow instead.
 */
async function reclaimWhileOwnerAllocates(b: Backend, root: string): Promise<void> {
  const admin = b.open();
  const past = () => Date.now() - 2 * EMPTY_BLOCK_MIN_RECLAIM_AGE_MS;
  const setup = new Ipam({ store: admin, root, now: past });
  await setup.applyPool({ name: "one", cidr: "203.0.113.64/26", blockSize: 26 });
  const block = await setup.ensureBlock({ hostname: "old", family: 4 });
  await admin.close();
  const gate = new Interleaving(2, { order: ["old", "new"] });
  const clients = openClients(b, root, ["old", "new"], (name) => [
    { gate, match: name === "old" ? assignsInBlock(root) : deletesBlock(root) },
  ]);
  try {
    const got = await assignAll(clients, { num4: 1 });
    const raw = await expectStoreConsistent(b, root, givenMap(got));
    expect(raw.affinities).toEqual([
      { host: "old", block: block.replace(/[./]/g, "-"), state: "confirmed" },
    ]);
    // The owner's assignment won; the reclaim, sent after it, was refused.
    expect(gate.outcomes).toEqual([
      { party: "old", turn: 0, succeeded: true },
      { party: "new", turn: 1, succeeded: false },
    ]);
  } finally {
    await closeAll(clients);
  }
}

/**
 * A host reads another host's empty block as reclaimable; before it
 * releases the block's affinity, the owner allocates in the block and
 * releases again, so the block is empty but not the block that was read.
 * The reclaim must not go on (Calico `findUsableBlock` passes the sequence
 * number it read: release "only if the block hasn't been changed since we
 * read it"); the reclaimer borrows an address instead.
 */
async function reclaimAfterOwnerUsedBlock(b: Backend, root: string): Promise<void> {
  const admin = b.open();
  const past = () => Date.now() - 2 * EMPTY_BLOCK_MIN_RECLAIM_AGE_MS;
  const setup = new Ipam({ store: admin, root, now: past });
  await setup.applyPool({ name: "one", cidr: "203.0.113.128/26", blockSize: 26 });
  const block = await setup.ensureBlock({ hostname: "old", family: 4 });
  const paused = pauseFirstGet(b.open(), `${root}affinity/`);
  const reclaimer = new Ipam({ store: paused.store, root });
  const owner = new Ipam({ store: admin, root });
  try {
    const asked = reclaimer.autoAssign({ handleId: "pod-new", hostname: "new", num4: 1 });
    asked.catch(() => {});
    // The reclaimer has listed the blocks and is about to release old's affinity.
    await paused.reached;
    await owner.autoAssign({ handleId: "pod-old", hostname: "old", num4: 1 });
    expect((await owner.releaseByHandle("pod-old")).length).toBe(1);
    paused.resume();
    const got = await asked;
    const raw = await expectStoreConsistent(
      b,
      root,
      givenMap([{ handleId: "pod-new", ips: got.ipv4 }]),
    );
    expect(raw.affinities).toEqual([
      { host: "old", block: block.replace(/[./]/g, "-"), state: "confirmed" },
    ]);
    expect(got.ipv4.map((a) => a.block)).toEqual([block]);
  } finally {
    paused.resume();
    await paused.store.close();
    await admin.close();
  }
}

describeOnStores("hosts racing for a free block", (backend) => {
  it("8 hosts, 1 free block: exactly one owner, 8 distinct addresses, check clean", async () => {
    await oneFreeBlock(backend(), "/claim-race/one/");
  });

  it("12 hosts, 4 blocks: one owner per block, 240 distinct addresses, check clean", async () => {
    await moreHostsThanBlocks(backend(), "/claim-race/quad/");
  });

  it("6 clients of one host, 1 free block: one block, one affinity, all 6 served", async () => {
    await oneHostManyClients(backend(), "/claim-race/host/");
  });

  it("a host reclaims an empty block while its owner allocates in it: the owner keeps it", async () => {
    await reclaimWhileOwnerAllocates(backend(), "/claim-race/reclaim/");
  });

  it("a host reclaims an empty block its owner used since it was read: the owner keeps it", async () => {
    await reclaimAfterOwnerUsedBlock(backend(), "/claim-race/reclaim-used/");
  });
});
