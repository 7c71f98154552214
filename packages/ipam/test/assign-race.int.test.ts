// Clients racing to allocate from the same block, on a real etcd and on the
// embedded store (one SQLite file), with the race forced on every run (see
// test/interleave.ts): each client's first assignment transaction is held
// until every client has read the block at the same revision and picked its
// address, then they are sent one by one.
//
// What must hold (Calico: every block write is a compare-and-swap on the
// block's revision, every handle write one on the handle's): the first write
// wins and the others retry on the block as it now is, so no address is
// handed out twice; a handle written by two clients at once counts both
// addresses; the store's records agree with each other and with what the
// clients were told; `check` finds nothing.
import { AddressInUseError, Ipam } from "@tortie/ipam";
import { expect, it } from "vitest";
import { type Backend, describeOnStores } from "./backends.js";
import { assignsInBlock, claimsBlock, Interleaving } from "./interleave.js";
import {
  assignAll,
  closeAll,
  expectStoreConsistent,
  givenMap,
  names,
  openClients,
} from "./race.js";

/** A pool and blocks already claimed for `hosts`, written by a client of its own. */
async function setUp(b: Backend, root: string, cidr: string, hosts: readonly string[]) {
  const store = b.open();
  const admin = new Ipam({ store, root });
  await admin.applyPool({ name: "p", cidr, blockSize: 26 });
  const blocks = [];
  for (const h of hosts) blocks.push(await admin.ensureBlock({ hostname: h, family: 4 }));
  await store.close();
  return blocks;
}

/** Eight clients of one host (eight CNI ADDs at once) allocate from its one block. */
async function oneBlockEightClients(b: Backend, root: string): Promise<void> {
  const [block] = await setUp(b, root, "192.0.2.128/26", ["node-a"]);
  const parties = names("cni", 8);
  const gate = new Interleaving(parties.length);
  const clients = openClients(b, root, parties, [{ gate, match: assignsInBlock(root) }]);
  try {
    const got = await assignAll(clients, { num4: 1, hostname: "node-a" });
    const given = givenMap(got);
    expect(given.size).toBe(8);
    const raw = await expectStoreConsistent(b, root, given);
    expect([...raw.blocks.values()].map((x) => x.cidr)).toEqual([block]);
    // All eight had read the block at one revision; only the first write won.
    expect(gate.outcomes.map((o) => o.succeeded)).toEqual(parties.map((_, i) => i === 0));
  } finally {
    await closeAll(clients);
  }
}

/**
 * Two hosts assign for one handle at once, each in its own block, by
 * automatic assignment or each a given address (Calico `AssignIP`): both
 * writes compare the handle as absent; the second must retry and add to it.
 */
async function oneHandleTwoHosts(b: Backend, root: string, how: "auto" | "ip"): Promise<void> {
  const blocks = await setUp(b, root, "198.51.100.0/25", ["node-a", "node-b"]);
  const hosts = ["node-a", "node-b"];
  const gate = new Interleaving(hosts.length, { order: hosts });
  const clients = openClients(b, root, hosts, [{ gate, match: assignsInBlock(root) }]);
  try {
    const got = await Promise.all(
      clients.map(async (c, i) => {
        if (how === "auto") {
          const r = await c.ipam.autoAssign({ handleId: "shared", hostname: c.name, num4: 1 });
          return { handleId: "shared", ips: r.ipv4 };
        }
        // The fifth address of the host's block.
        const [a, b2, c2, d] = blocks[i]!.split("/")[0]!.split(".");
        const ip = `${a}.${b2}.${c2}.${Number(d) + 5}`;
        const r = await c.ipam.assignIp({ ip, handleId: "shared", hostname: c.name });
        return { handleId: "shared", ips: [r] };
      }),
    );
    const raw = await expectStoreConsistent(b, root, givenMap(got));
    expect(raw.handles.get("shared")).toEqual(
      Object.fromEntries(blocks.map((c) => [c.replace(/[./]/g, "-"), 1])),
    );
    expect(gate.outcomes.map((o) => o.succeeded)).toEqual([true, false]);
  } finally {
    await closeAll(clients);
  }
}

/**
 * Six hosts ask for the same address (Calico `AssignIP`) in a block nobody
 * has claimed: they race to claim the block, then to assign the address.
 * One host gets it, the others AddressInUseError; one owner of the block.
 */
async function oneAddressSixHosts(b: Backend, root: string): Promise<void> {
  await setUp(b, root, "203.0.113.0/26", []);
  const hosts = names("host", 6);
  const claim = new Interleaving(hosts.length);
  const assign = new Interleaving(hosts.length);
  const clients = openClients(b, root, hosts, [
    { gate: claim, match: claimsBlock(root) },
    { gate: assign, match: assignsInBlock(root) },
  ]);
  try {
    const results = await Promise.allSettled(
      clients.map((c) =>
        c.ipam.assignIp({ ip: "203.0.113.10", handleId: `pod-${c.name}`, hostname: c.name }),
      ),
    );
    const won = results.flatMap((r, i) =>
      r.status === "fulfilled" ? [{ handleId: `pod-${hosts[i]}`, ips: [r.value] }] : [],
    );
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    const given = givenMap(won);
    const raw = await expectStoreConsistent(b, root, given);
    expect([...given.keys()]).toEqual(["203.0.113.10"]);
    expect(lost.length).toBe(5);
    for (const e of lost) expect(e).toBeInstanceOf(AddressInUseError);
    expect(raw.affinities.map((a) => a.host)).toEqual([claim.sequence[0]]);
    const firstOnly = hosts.map((_, i) => i === 0);
    expect(claim.outcomes.map((o) => o.succeeded)).toEqual(firstOnly);
    expect(assign.outcomes.map((o) => o.succeeded)).toEqual(firstOnly);
  } finally {
    await closeAll(clients);
  }
}

describeOnStores("clients racing to allocate", (backend) => {
  it("8 clients, 1 block, 1 revision read: 8 distinct addresses, check clean", async () => {
    await oneBlockEightClients(backend(), "/assign-race/block/");
  });

  it("2 hosts write 1 handle at once (autoAssign): the handle counts both addresses", async () => {
    await oneHandleTwoHosts(backend(), "/assign-race/handle/", "auto");
  });

  it("2 hosts write 1 handle at once (assignIp): the handle counts both addresses", async () => {
    await oneHandleTwoHosts(backend(), "/assign-race/handle-ip/", "ip");
  });

  it("6 hosts ask for 1 address in an unclaimed block: one gets it, one owner", async () => {
    await oneAddressSixHosts(backend(), "/assign-race/ip/");
  });
});
