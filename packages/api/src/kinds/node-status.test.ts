import { describe, expect, it } from "vitest";
import { ResourceValidationError } from "../errors.js";
import { NODE_STATUS_PREFIX, type NodeStatusRecord, parseNodeStatusRecord } from "./node-status.js";

const record: NodeStatusRecord = {
  node: "node1",
  updated: "2026-12-02T09:15:00.000Z",
  agent: {
    ready: true,
    datastore: "disconnected",
    lastDatastoreError: "etcd unavailable at http://192.0.2.10:2379",
    startedAt: "2026-12-02T09:00:00.000Z",
  },
  bgp: {
    asn: 64512,
    routerId: "192.0.2.11",
    peers: [
      {
        address: "192.0.2.12",
        source: "mesh",
        state: "Established",
        since: Date.UTC(2026, 11, 2, 9, 1),
        received: 1,
        advertised: 1,
      },
      {
        address: "2001:db8::250",
        source: "BGPPeer/bgppeer-global-bigip1",
        state: "Active",
        since: Date.UTC(2026, 11, 2, 9, 2),
        received: 0,
        advertised: 0,
        lastError: "Hold Timer Expired",
      },
    ],
    originated: ["198.51.100.0/26"],
  },
  routes: { blocks: ["198.51.100.0/26"], workloads: 2, learned: 1 },
  issues: [{ resource: "BGPPeer p1", path: "spec.peerIP", message: "not an IP address" }],
};

/** The record through JSON, as a reader gets it from the datastore. */
const stored = (r: unknown): unknown => JSON.parse(JSON.stringify(r));

describe("node status record", () => {
  it("reads back what an agent wrote, field for field and in the same order", () => {
    const r = parseNodeStatusRecord(stored(record), `${NODE_STATUS_PREFIX}node1`);
    expect(r).toEqual(record);
    expect(JSON.stringify(r)).toBe(JSON.stringify(record));
  });

  it("ignores fields it does not know (a newer agent's)", () => {
    const newer = { ...record, extra: 1, agent: { ...record.agent, version: "9.9" } };
    expect(parseNodeStatusRecord(stored(newer), "k")).toEqual(record);
  });

  it("names the record and every wrong field", () => {
    const bad = stored(record) as { agent: Record<string, unknown>; bgp: { peers: object[] } };
    bad.agent.datastore = "maybe";
    bad.bgp.peers[1] = { ...bad.bgp.peers[1], received: -1 };
    let err: unknown;
    try {
      parseNodeStatusRecord(bad, `${NODE_STATUS_PREFIX}node1`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResourceValidationError);
    const v = err as ResourceValidationError;
    expect(v.resource).toBe("/tortie/nodestatus/v1/node1");
    expect(v.issues.map((i) => i.path)).toEqual(["agent.datastore", "bgp.peers[1].received"]);
  });

  it("refuses a record without the fields every agent writes", () => {
    const { issues: _, ...old } = record;
    expect(() => parseNodeStatusRecord(stored(old), "k")).toThrow(/issues/);
  });
});
