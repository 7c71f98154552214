// Issue #19, case by case with the exact bytes: no message from a peer can
// stop the speaker. A raw peer (this process, a socket in its own namespace)
// sends each message to a live Speaker (this process too — so an error that
// escaped a session would reach `uncaughtException` here, which the tests
// record and assert empty), while a real BIRD session runs beside it and must
// never flap.
//
//   - ROUTE-REFRESH of 4095/4096 octets (65535 with Extended Message): the
//     NOTIFICATION 7/1 data is cut to fit (RFC 4271 §4.5, RFC 8654 §4).
//   - A header longer than the maximum: NOTIFICATION 1/2 at the header
//     (RFC 4271 §6.1), without waiting for the declared length.
//   - A complete message and a broken header in one read: the message is
//     processed, then the NOTIFICATION for the header.
//   - ROUTE-REFRESH for a family not negotiated: ignored (RFC 2918 §4);
//     before Established: FSM Error (RFC 6608 §4), found by the wire fuzzer.
import { type Bird, requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RouteRefreshMessage } from "../wire/index.js";
import { established, startTortie, TORTIE4 } from "./interop.fixture.js";
import { type RawConn, rawSession, type SessionKind } from "./raw-peer.fixture.js";
import type { Speaker } from "./speaker.js";

const skip = requirePrereqs(["root", "bird"]);

const RAW: Record<SessionKind, string> = {
  "2-octet": "192.0.2.3",
  "4-octet": "192.0.2.4",
  "add-path": "192.0.2.5",
  extended: "192.0.2.6",
};
const RAW_AS = 65099;

/** A header: marker, Length, Type (RFC 4271 §4.1). */
function header(length: number, type: number): number[] {
  return [...Array(16).fill(0xff), length >> 8, length & 0xff, type];
}
/** A ROUTE-REFRESH for IPv4 unicast whose header says `length` octets, padded with zeros to that length. */
function longRouteRefresh(length: number): Uint8Array {
  const b = new Uint8Array(length);
  b.set([...header(length, 5), 0, 1, 0, 1]);
  return b;
}
/** A ROUTE-REFRESH request (RFC 2918 §3) for `afi`/`safi`. */
function routeRefresh(afi: number, safi: number): Uint8Array {
  return Uint8Array.from([...header(23, 5), afi >> 8, afi & 0xff, 0, safi]);
}
/** An UPDATE for 198.51.100.0/26 from AS 65099 (4-octet AS_PATH), next hop 192.0.2.4. */
// biome-ignore format: one field per line
const UPDATE_4OCTET = Uint8Array.from([
  ...header(19 + 4 + 20 + 5, 2),
  0, 0, // withdrawn routes length
  0, 20, // path attribute length
  0x40, 1, 1, 0, // ORIGIN IGP
  0x40, 2, 6, 2, 1, 0, 0, 0xfe, 0x4b, // AS_PATH SEQ [65099]
  0x40, 3, 4, 192, 0, 2, 4, // NEXT_HOP
  26, 198, 51, 100, 0, // 198.51.100.0/26
]);

describe.skipIf(skip)("issue #19: no message from a peer can stop the speaker", () => {
  const tb = useTestbed();
  let tortie: Speaker;
  let bird: Bird;
  let rawNs: string;
  let birdBefore: { flaps: number; localPort: number | undefined };
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  const routeEvents: { peer: string; announced: string[]; withdrawn: string[] }[] = [];
  const refreshEvents: { peer: string; family: string }[] = [];
  const sessionErrors: unknown[] = [];

  beforeAll(async () => {
    process.on("uncaughtException", onEscape);
    process.on("unhandledRejection", onEscape);
    const topo = await tb.topology({
      hosts: ["bird", "raw", "tortie"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24"],
            raw: Object.values(RAW).map((a) => `${a}/24`),
            tortie: [`${TORTIE4}/24`],
          },
        },
      },
    });
    rawNs = topo.host("raw").nsPath;
    bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        static4: ["203.0.113.0/26"],
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65002, ipv4: true }],
      }),
    );
    tortie = await startTortie(tb, topo, {
      asn: 65002,
      originate: [{ prefix: "198.51.100.128/26" }],
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        ...Object.entries(RAW).map(([kind, address]) => ({
          address,
          asn: RAW_AS,
          passive: true,
          errorWaitTime: [0, 0] as [number, number],
          ...(kind === "add-path" ? { addPath: "both" as const } : {}),
        })),
      ],
    });
    tortie.on("routes", (e) =>
      routeEvents.push({
        peer: e.peer,
        announced: e.announced.map((r) => r.prefix),
        withdrawn: [...e.withdrawn],
      }),
    );
    tortie.on("route-refresh", (e) => refreshEvents.push(e));
    tortie.on("session-error", (e) => sessionErrors.push(e));
    await established(tortie, "192.0.2.1");
    await waitFor(() => tortie.routes("192.0.2.1").some((r) => r.prefix === "203.0.113.0/26"), {
      what: "Tortie learned BIRD's route",
    });
    const b = tortie.peer("192.0.2.1")!;
    birdBefore = { flaps: b.flaps, localPort: b.connection?.localPort };
  });

  afterAll(() => {
    process.off("uncaughtException", onEscape);
    process.off("unhandledRejection", onEscape);
  });

  // Each case leaves no connection behind, so that a failing case does not take the next one with it.
  const open: RawConn[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.destroy();
    await waitFor(() => Object.values(RAW).every((a) => tortie.peer(a)?.state !== "Established"), {
      what: "raw peers' sessions down",
    });
  });

  async function session(kind: SessionKind): Promise<RawConn> {
    const conn = await rawSession({
      nsPath: rawNs,
      remoteAddress: TORTIE4,
      localAddress: RAW[kind],
      kind,
      asn: RAW_AS,
    });
    open.push(conn);
    await established(tortie, RAW[kind]);
    return conn;
  }

  /** Nothing escaped into the process, and the BIRD session is the same one, with its routes. */
  async function speakerUnharmed(): Promise<void> {
    expect(escaped).toEqual([]);
    // The peer's bytes were answered by the protocol, not by the internal-error path.
    expect(sessionErrors).toEqual([]);
    expect(tortie.status().internalErrors).toBe(0);
    const b = tortie.peer("192.0.2.1")!;
    expect(b.state).toBe("Established");
    expect(b.flaps).toBe(birdBefore.flaps);
    expect(b.connection?.localPort).toBe(birdBefore.localPort);
    expect(tortie.routes("192.0.2.1").map((r) => r.prefix)).toContain("203.0.113.0/26");
    const p = await bird.protocol("tortie");
    expect(p?.info).toMatch(/^Established/);
    expect((await bird.routes({ protocol: "tortie" })).map((r) => r.prefix)).toContain(
      "198.51.100.128/26",
    );
  }

  it.each([
    ["2-octet", 4095, 4096],
    ["2-octet", 4096, 4096],
    ["4-octet", 4096, 4096],
    ["add-path", 4095, 4096],
    ["extended", 4096, 65535],
    ["extended", 65535, 65535],
  ] as const)(
    "%s session: ROUTE-REFRESH of %i octets → NOTIFICATION 7/1 within %i octets, data = the message cut to fit",
    async (kind, length, max) => {
      const conn = await session(kind);
      const sent = longRouteRefresh(length);
      conn.send(sent);
      await conn.waitFor((m) => m.type === "notification", "NOTIFICATION 7/1");
      const [n] = conn.notifications();
      expect(n).toMatchObject({ code: 7, subcode: 1 });
      expect(n!.length).toBeLessThanOrEqual(max);
      // As much of the message as fits: all of it when it does (RFC 7313 §5), else its first octets.
      expect(n!.data.length).toBe(Math.min(length, max - 21));
      expect(Buffer.from(n!.data).equals(Buffer.from(sent.subarray(0, n!.data.length)))).toBe(true);
      await waitFor(() => conn.closed, { what: "Tortie closes the session" });
      expect(tortie.peer(RAW[kind])?.lastError?.sent).toMatchObject({ code: 7, subcode: 1 });
      await speakerUnharmed();
    },
  );

  it.each([
    // [kind, what, header, expected data] — only the 19 header octets are sent.
    ["2-octet", "UPDATE of 4097", header(4097, 2), [0x10, 0x01]],
    ["4-octet", "UPDATE of 65535", header(65535, 2), [0xff, 0xff]],
    ["add-path", "NOTIFICATION of 4097", header(4097, 3), [0x10, 0x01]],
    ["extended", "OPEN of 4097 (never above 4096, RFC 8654 §4)", header(4097, 1), [0x10, 0x01]],
    ["4-octet", "KEEPALIVE of 20 (exactly 19, RFC 4271 §6.1)", header(20, 4), [0x00, 0x14]],
    ["4-octet", "UPDATE of 22 (minimum 23)", header(22, 2), [0x00, 0x16]],
    ["extended", "length 18 (minimum 19)", header(18, 2), [0x00, 0x12]],
  ] as const)(
    "%s session: a header alone, %s → NOTIFICATION 1/2 at once",
    async (kind, _what, hdr, data) => {
      const conn = await session(kind);
      conn.send(Uint8Array.from(hdr));
      // Hold time is 90 s: an answer within 5 s is the header check, not a timer.
      await conn.waitFor((m) => m.type === "notification", "NOTIFICATION 1/2", 5_000);
      expect(conn.notifications()).toMatchObject([
        { code: 1, subcode: 2, data: Uint8Array.from(data) },
      ]);
      await waitFor(() => conn.closed, { what: "Tortie closes the session", timeoutMs: 5_000 });
      await speakerUnharmed();
    },
  );

  it("a header longer than 4096 during the OPEN exchange → 1/2 at once", async () => {
    const { connectTcp } = await import("./transport.js");
    const { connected, RawConn } = await import("./raw-peer.fixture.js");
    const sock = connectTcp({
      remoteAddress: TORTIE4,
      remotePort: 179,
      localAddress: RAW.extended,
      netns: rawNs,
    });
    const conn = new RawConn(await connected(sock));
    open.push(conn);
    await conn.waitFor((m) => m.type === "open", "Tortie's OPEN");
    // Extended Message is not negotiated before both OPENs: 4096 is the limit.
    conn.send(Uint8Array.from(header(4097, 2)));
    await conn.waitFor((m) => m.type === "notification", "NOTIFICATION 1/2", 5_000);
    expect(conn.notifications()).toMatchObject([
      { code: 1, subcode: 2, data: Uint8Array.of(0x10, 0x01) },
    ]);
    await speakerUnharmed();
  });

  it("a ROUTE-REFRESH before the OPEN → FSM Error 5/1 with the message type (RFC 6608 §4), not a wait", async () => {
    const { connectTcp } = await import("./transport.js");
    const { connected, RawConn } = await import("./raw-peer.fixture.js");
    const sock = connectTcp({
      remoteAddress: TORTIE4,
      remotePort: 179,
      localAddress: RAW["4-octet"],
      netns: rawNs,
    });
    const conn = new RawConn(await connected(sock));
    open.push(conn);
    await conn.waitFor((m) => m.type === "open", "Tortie's OPEN");
    conn.send(routeRefresh(1, 1));
    await conn.waitFor((m) => m.type === "notification", "NOTIFICATION 5/1", 5_000);
    expect(conn.notifications()).toMatchObject([{ code: 5, subcode: 1, data: Uint8Array.of(5) }]);
    await waitFor(() => conn.closed, { what: "Tortie closes the connection", timeoutMs: 5_000 });
    await speakerUnharmed();
  });

  it.each([
    ["bad marker", [...Array(15).fill(0xff), 0, 0, 19, 4], { code: 1, subcode: 1 }],
    ["oversized header", header(5000, 2), { code: 1, subcode: 2 }],
    ["unknown type", header(19, 9), { code: 1, subcode: 3 }],
  ] as const)(
    "a complete UPDATE and a %s in one read: the UPDATE is processed, then the NOTIFICATION",
    async (_what, bad, want) => {
      const conn = await session("4-octet");
      const peer = RAW["4-octet"];
      const before = routeEvents.length;
      const chunk = new Uint8Array(UPDATE_4OCTET.length + bad.length);
      chunk.set(UPDATE_4OCTET);
      chunk.set(bad, UPDATE_4OCTET.length);
      conn.send(chunk); // one write, one segment on a veth: one read on Tortie's side
      await conn.waitFor((m) => m.type === "notification", "NOTIFICATION", 5_000);
      expect(conn.notifications()).toMatchObject([want]);
      await waitFor(() => conn.closed, { what: "Tortie closes the session", timeoutMs: 5_000 });
      const mine = routeEvents.slice(before).filter((e) => e.peer === peer);
      // Learned first (the UPDATE was processed), withdrawn when the session went down.
      expect(mine.map((e) => [e.announced, e.withdrawn])).toEqual([
        [["198.51.100.0/26"], []],
        [[], ["198.51.100.0/26"]],
      ]);
      expect(tortie.peer(peer)?.lastError?.sent).toMatchObject(want);
      await speakerUnharmed();
    },
  );

  it("ROUTE-REFRESH for a family that was not negotiated is ignored (RFC 2918 §4)", async () => {
    const conn = await session("4-octet");
    const peer = RAW["4-octet"];
    // Tortie's initial Adj-RIB-Out: its route and End-of-RIB (an empty UPDATE).
    await waitFor(
      () => conn.received.filter((m) => m.type === "update").length >= 2 && conn.received,
      { what: "initial UPDATE and End-of-RIB" },
    );
    const mark = conn.received.length;
    const refreshesBefore = refreshEvents.length;
    conn.send(routeRefresh(2, 1)); // IPv6 unicast: not negotiated
    conn.send(routeRefresh(1, 2)); // IPv4 multicast: not negotiated
    conn.send(routeRefresh(1, 128)); // VPNv4: not negotiated
    conn.send(routeRefresh(1, 1)); // IPv4 unicast: negotiated — the control
    const isRr = (m: { type: string }): m is RouteRefreshMessage => m.type === "route-refresh";
    await waitFor(() => conn.received.slice(mark).some((m) => isRr(m) && m.subtype === 2), {
      what: "EoRR for IPv4 unicast",
    });
    const after = conn.received.slice(mark);
    // Exactly BoRR, the Adj-RIB-Out (its own route, and routes learned from
    // the other raw peers that it passes on), EoRR — all for IPv4 unicast (RFC 7313 §4).
    const seen = after.map((m) => (isRr(m) ? `rr ${m.afi}/${m.safi} ${m.subtype}` : m.type));
    expect(seen[0]).toBe("rr 1/1 1");
    expect(seen.at(-1)).toBe("rr 1/1 2");
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.slice(1, -1))).toEqual(new Set(["update"]));
    expect(refreshEvents.slice(refreshesBefore)).toEqual([{ peer, family: "ipv4-unicast" }]);
    expect(conn.notifications()).toEqual([]);
    expect(tortie.peer(peer)?.state).toBe("Established");
    await speakerUnharmed();
  });
});
