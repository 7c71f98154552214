// Connection collisions (RFC 4271 §6.8, RFC 6286 §2.3): the pure decision,
// the second-connection policy, and a full crossed-OPEN scenario with two FSMs.
import { describe, expect, it } from "vitest";
import { compareBgpIds, parseBgpId } from "./bgp-id.js";
import {
  collisionWinner,
  companion,
  connectionPolicy,
  detectCollision,
  promote,
} from "./collision.js";
import { LOCAL, peerOpen, reach, T0, types } from "./harness.js";
import { step } from "./step.js";
import type { Fsm } from "./types.js";

const id = parseBgpId;

describe("compareBgpIds: 4-octet unsigned integers (§6.8 step 1)", () => {
  it.each<[string, string, number]>([
    ["192.0.2.1", "192.0.2.2", -1],
    ["192.0.2.2", "192.0.2.1", 1],
    ["192.0.2.1", "192.0.2.1", 0],
    ["128.0.0.0", "127.255.255.255", 1], // would be negative as a signed int
    ["255.255.255.255", "0.0.0.1", 1],
    ["10.0.0.1", "203.0.113.1", -1],
  ])("%s vs %s → %i", (a, b, want) => {
    expect(Math.sign(compareBgpIds(id(a), id(b)))).toBe(want);
  });

  it("treats a signed reading of the same octets alike", () => {
    expect(compareBgpIds(-1, 0xffff_ffff)).toBe(0);
    expect(compareBgpIds(0x8000_0000 | 0, 0x7fff_ffff)).toBe(1);
  });
});

describe("collisionWinner (§6.8 steps 2–3)", () => {
  it.each<[string, number, string, number, "outgoing" | "incoming"]>([
    ["192.0.2.2", 64512, "192.0.2.1", 64512, "outgoing"], // we are higher: keep ours
    ["192.0.2.1", 64512, "192.0.2.2", 64512, "incoming"], // peer is higher: keep theirs
    ["200.0.0.1", 64512, "100.0.0.1", 64512, "outgoing"], // unsigned: 200.x > 100.x
    ["192.0.2.1", 65002, "192.0.2.1", 65001, "outgoing"], // equal ids: larger AS wins
    ["192.0.2.1", 65001, "192.0.2.1", 4200000001, "incoming"],
  ])("local %s AS%i vs remote %s AS%i → keep %s", (lid, las, rid, ras, want) => {
    expect(collisionWinner({ bgpId: id(lid), as: las }, { bgpId: id(rid), as: ras })).toBe(want);
  });
});

describe("connectionPolicy", () => {
  it.each<[string, Fsm, string]>([
    ["Idle refuses", reach("Idle"), "refuse"],
    ["Connect without a connection uses it", reach("Connect"), "use"],
    ["Active without a connection uses it", reach("Active"), "use"],
    ["OpenSent tracks", reach("OpenSent"), "track"],
    ["OpenConfirm tracks", reach("OpenConfirm"), "track"],
    ["Established refuses", reach("Established"), "refuse"],
    [
      "Established with CollisionDetectEstablishedState tracks",
      reach("Established", { collisionDetectEstablishedState: true }),
      "track",
    ],
    [
      "Connect with a DelayOpen connection tracks",
      step(reach("Connect", { delayOpen: true }), { type: "Tcp_CR_Acked" }, T0).state,
      "track",
    ],
  ])("%s", (_name, fsm, want) => {
    expect(connectionPolicy(fsm)).toBe(want);
  });
});

describe("detectCollision", () => {
  // We are 192.0.2.1, the peer 192.0.2.2 (higher): the peer's connection (incoming) survives.
  const outgoingConfirm = reach("OpenConfirm"); // outgoing, peer id 192.0.2.2
  const incomingSent = companion(outgoingConfirm, "incoming", T0).state;

  it("OPEN on the incoming connection vs our outgoing one in OpenConfirm: dump ours", () => {
    expect(detectCollision(incomingSent, outgoingConfirm, peerOpen())).toBe("dump-other");
  });

  it("when we have the higher identifier, the incoming connection is dumped", () => {
    const high = { bgpId: id("192.0.2.200") };
    const mainHigh = reach("OpenConfirm", high);
    const compHigh = companion(mainHigh, "incoming", T0).state;
    expect(detectCollision(compHigh, mainHigh, peerOpen())).toBe("dump-receiving");
  });

  it("a different identifier is not a collision", () => {
    expect(
      detectCollision(incomingSent, outgoingConfirm, peerOpen({ bgpId: id("192.0.2.9") })),
    ).toBe("none");
  });

  it("OpenSent collides only when the peer's identifier is configured", () => {
    const main = reach("OpenSent");
    const comp = companion(main, "incoming", T0).state;
    expect(detectCollision(comp, main, peerOpen())).toBe("none");
    const known = reach("OpenSent", { peerBgpId: id("192.0.2.2") });
    const compKnown = companion(known, "incoming", T0).state;
    expect(detectCollision(compKnown, known, peerOpen())).toBe("dump-other");
  });

  it("Established keeps its connection unless CollisionDetectEstablishedState", () => {
    const est = reach("Established");
    const comp = companion(est, "incoming", T0).state;
    expect(detectCollision(comp, est, peerOpen())).toBe("dump-receiving");
    const cdes = reach("Established", { collisionDetectEstablishedState: true });
    const comp2 = companion(cdes, "incoming", T0).state;
    expect(detectCollision(comp2, cdes, peerOpen())).toBe("dump-other");
  });

  it("Idle, Connect and Active never collide", () => {
    for (const s of ["Idle", "Connect", "Active"] as const) {
      expect(detectCollision(incomingSent, reach(s), peerOpen())).toBe("none");
    }
  });

  it("same direction on both: the newer (receiving) one goes", () => {
    const comp = companion(outgoingConfirm, "outgoing", T0).state;
    expect(detectCollision(comp, outgoingConfirm, peerOpen())).toBe("dump-receiving");
  });
});

describe("companion and promote", () => {
  it("a companion holds the connection in OpenSent, is passive and never restarts", () => {
    const c = companion(reach("OpenSent"), "incoming", T0 + 5);
    expect(c.state.state).toBe("OpenSent");
    expect(c.state.connection).toBe("incoming");
    expect(types(c.actions)).toEqual(["send-open"]);
    const dumped = step(c.state, { type: "OpenCollisionDump" }, T0 + 6).state;
    expect(dumped.state).toBe("Idle");
    expect(dumped.timers).toEqual({});
  });

  it("promote keeps the original's configuration and back-off", () => {
    const original = {
      ...reach("OpenConfirm", { idleHoldTime: 2 }),
      idleHoldTime: 16,
      connectRetryCounter: 3,
    };
    const winner = step(
      companion(original, "incoming", T0).state,
      { type: "BGPOpen", open: peerOpen() },
      T0,
    ).state;
    const p = promote(winner, original);
    expect(p.state).toBe("OpenConfirm");
    expect(p.connection).toBe("incoming");
    expect(p.config).toBe(original.config);
    expect([p.idleHoldTime, p.connectRetryCounter]).toEqual([16, 3]);
  });
});

it("crossed OPENs: both sides open a connection, the lower identifier's one is dumped", () => {
  // Our main FSM connected out and reached OpenConfirm; meanwhile the peer's
  // connection came in and is tracked by a companion. The peer (192.0.2.2) is
  // higher, so its connection — the companion — survives.
  let main = reach("OpenConfirm", LOCAL);
  expect(connectionPolicy(main)).toBe("track");
  let comp = companion(main, "incoming", T0 + 10).state;
  const open = peerOpen();
  const outcome = detectCollision(comp, main, open);
  expect(outcome).toBe("dump-other");
  const before = main;
  const dump = step(main, { type: "OpenCollisionDump" }, T0 + 11);
  expect(dump.actions[0]).toEqual({
    type: "send-notification",
    notification: { code: 6, subcode: 7, data: new Uint8Array(0) },
  });
  main = dump.state;
  comp = step(comp, { type: "BGPOpen", open }, T0 + 11).state;
  comp = step(comp, { type: "KeepAliveMsg" }, T0 + 12).state;
  const peer = promote(comp, before);
  expect(peer.state).toBe("Established");
  expect(peer.config.allowAutomaticStart).toBe(true);
  expect(main.state).toBe("Idle");
});
