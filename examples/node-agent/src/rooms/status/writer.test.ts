import type { SpeakerStatus } from "@tortie/bgp";
import { type Datastore, MemoryStore, type TxnRequest } from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import { NODE_STATUS_PREFIX, type NodeStatus, nodeStatus } from "./record.js";
import { StatusWriter, type StatusWriterOptions } from "./writer.js";

const KEY = `${NODE_STATUS_PREFIX}node3`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** node3's record with its session to node2 in `state`. */
function record(state: string, since: number): NodeStatus {
  // only what nodeStatus reads of a speaker's status
  const peer = { address: "192.0.2.12", state, since, prefixes: { received: 0, advertised: 0 } };
  return nodeStatus({
    node: "node3",
    now: new Date(),
    startedAt: new Date(0),
    ready: true,
    datastoreConnected: true,
    speaker: {
      asn: 64512,
      routerId: "192.0.2.13",
      peers: [peer],
      originated: [],
    } as unknown as SpeakerStatus,
    peerSources: new Map([["192.0.2.12", "mesh"]]),
    blocks: [],
    workloads: 0,
    learned: 0,
    snapshotIssues: [],
    configIssues: [],
  });
}

/**
 * A memory store whose n-th transaction lands (is applied) only after
 * `delays[n]` ms: as an etcd call can be answered after a later one.
 */
function slowStore(delays: number[]) {
  const mem = new MemoryStore();
  const landed: string[] = [];
  let n = 0;
  const store: Pick<Datastore, "txn"> = {
    txn: async (req: TxnRequest) => {
      await sleep(delays[n++] ?? 0);
      const op = req.ops[0];
      if (op?.type === "put") landed.push((JSON.parse(op.value) as NodeStatus).bgp.peers[0]!.state);
      return mem.txn(req);
    },
  };
  const stored = async () =>
    (JSON.parse((await mem.get(KEY))!.value) as NodeStatus).bgp.peers[0]!.state;
  return { store, landed, stored, count: () => n };
}

/** node3's writer on `store`, records from `record`, heartbeat 30 s. */
const writer = (
  store: StatusWriterOptions["store"],
  record: () => NodeStatus,
  now?: () => number,
) =>
  new StatusWriter({ node: "node3", store, record, heartbeatMs: 30_000, ...(now ? { now } : {}) });

describe("StatusWriter", () => {
  it("a newer record is never overwritten by an older one whose write was slower", async () => {
    // The heartbeat's write (session Established) is slow to land; the
    // change timer's write (session down) is quick.
    const s = slowStore([50, 0]);
    let now = record("Established", 1000);
    const w = writer(s.store, () => now);
    const first = w.write();
    await sleep(5); // the first write is under way (its record taken)
    now = record("Active", 2000);
    const second = w.write();
    await Promise.all([first, second]);
    expect(s.landed).toEqual(["Established", "Active"]);
    expect(await s.stored()).toBe("Active");
  });

  it("a call while a different record is in flight is not skipped as unchanged", async () => {
    const s = slowStore([0, 50, 0]);
    let now = record("Established", 1000);
    const w = writer(s.store, () => now);
    await w.write();
    now = record("Active", 2000);
    const down = w.write(); // slow
    await sleep(5);
    now = record("Established", 3000);
    await Promise.all([down, w.write()]);
    expect(await s.stored()).toBe("Established");
  });

  it("writes an unchanged record only when the heartbeat is due; calls while one waits share it", async () => {
    const s = slowStore([20]);
    let t = 0;
    const rec = record("Established", 1000);
    const w = writer(
      s.store,
      () => rec,
      () => t,
    );
    const a = w.write(); // under way
    const b = w.write(); // waits
    const c = w.write(); // shares b
    expect(c).toBe(b);
    await Promise.all([a, b, c]);
    expect(s.count()).toBe(1); // b found the record unchanged
    t = 29_999;
    await w.write();
    expect(s.count()).toBe(1);
    t = 30_000;
    await w.write();
    expect(s.count()).toBe(2);
  });

  it("a failed write is reported and the next one still runs; after close nothing is written", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const mem = new MemoryStore();
    const w = new StatusWriter({
      node: "node3",
      store: {
        txn: async (req) => {
          if (fail) throw new Error("store down");
          return mem.txn(req);
        },
      },
      record: () => record("Established", 1000),
      heartbeatMs: 30_000,
      onError: (e) => errors.push(e),
    });
    await w.write();
    expect(errors).toHaveLength(1);
    fail = false;
    await w.write();
    expect(await mem.get(KEY)).toBeDefined();
    await mem.txn({ compare: [], ops: [{ type: "delete", key: KEY }] });
    await w.close();
    await w.write();
    expect(await mem.get(KEY)).toBeUndefined();
  });
});
