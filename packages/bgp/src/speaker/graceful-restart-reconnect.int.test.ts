// Graceful restart, helper role, RFC 4724 §4.2: a restarted peer connects
// again while its old session still looks Established to Tortie (its FIN or
// RST was lost). Tortie ends the old session without a NOTIFICATION, keeps
// the routes stale, takes the new connection, and sweeps after End-of-RIB.
// The peer is a hand-driven connection (a daemon would close its old
// connection first, which is the other test's case).
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { codecContext } from "../wire/index.js";
import {
  established,
  learned,
  PEER4,
  pairTopology,
  startTortie,
  TORTIE4,
} from "./interop.fixture.js";
import { connected, kindContext, kindOpen, RawConn } from "./raw-peer.fixture.js";
import { connectTcp } from "./transport.js";

const skip = requirePrereqs(["root"]);
const PEER_AS = 65099;

/** A header: marker, Length, Type (RFC 4271 §4.1). */
function header(length: number, type: number): number[] {
  return [...Array(16).fill(0xff), length >> 8, length & 0xff, type];
}
/** An UPDATE for 198.51.100.`third`/26 from AS 65099, next hop 192.0.2.1. */
function update(third: number): Uint8Array {
  // biome-ignore format: one field per line
  return Uint8Array.from([
    ...header(19 + 4 + 20 + 5, 2),
    0, 0, // withdrawn routes length
    0, 20, // path attribute length
    0x40, 1, 1, 0, // ORIGIN IGP
    0x40, 2, 6, 2, 1, 0, 0, 0xfe, 0x4b, // AS_PATH SEQ [65099]
    0x40, 3, 4, 192, 0, 2, 1, // NEXT_HOP
    26, 198, 51, 100, third,
  ]);
}
/** End-of-RIB for IPv4 unicast: an empty UPDATE (RFC 4724 §2). */
const END_OF_RIB = Uint8Array.from([...header(23, 2), 0, 0, 0, 0]);

/** A hand-driven peer at PEER4 with the graceful-restart capability (R bit when `restarting`). */
async function grSession(
  tb: { defer(fn: () => unknown): void },
  ns: string,
  restarting: boolean,
): Promise<RawConn> {
  const sock = connectTcp({
    remoteAddress: TORTIE4,
    remotePort: 179,
    localAddress: PEER4,
    netns: ns,
  });
  const conn = new RawConn(await connected(sock), codecContext());
  tb.defer(() => conn.destroy());
  const open = kindOpen("4-octet", PEER_AS, PEER4);
  conn.send({
    ...open,
    capabilities: [
      ...open.capabilities,
      {
        type: "graceful-restart",
        flags: restarting ? 0x8 : 0,
        restartTime: 30,
        families: [{ afi: 1, safi: 1, flags: 0x80 }],
      },
    ],
  });
  await conn.waitFor((m) => m.type === "open", "Tortie's OPEN");
  conn.ctx = kindContext("4-octet");
  conn.keepalive();
  return conn;
}

describe.skipIf(skip)(
  "graceful restart: the restarted peer's new connection while the old one is still up",
  () => {
    const tb = useTestbed();

    it("ends the old session without a NOTIFICATION, keeps its routes stale, sweeps after End-of-RIB", async () => {
      const topo = await pairTopology(tb);
      const ns = topo.host("peer").nsPath;
      const tortie = await startTortie(tb, topo, {
        asn: 65002,
        gracefulRestart: { restartTime: 60 },
        peers: [{ address: PEER4, asn: PEER_AS, passive: true, errorWaitTime: [0, 0] }],
      });
      const withdrawn: string[] = [];
      tortie.on("routes", (e) => withdrawn.push(...e.withdrawn));

      const session = (restarting: boolean) => grSession(tb, ns, restarting);

      const first = await session(false);
      await established(tortie, PEER4);
      expect(tortie.peer(PEER4)?.session?.gracefulRestart).toBe(true);
      first.send(update(0));
      first.send(update(64));
      await learned(tortie, PEER4, "198.51.100.0/26");
      await learned(tortie, PEER4, "198.51.100.64/26");

      // The peer "restarted": a new connection, the old one never closed by it.
      const second = await session(true);
      await waitFor(() => first.closed, { what: "Tortie closed the old connection" });
      expect(first.notifications()).toEqual([]);
      await waitFor(
        () => (tortie.peer(PEER4)?.flaps ?? 0) >= 1 && tortie.peer(PEER4)?.state === "Established",
        {
          what: "the new session Established",
        },
      );
      expect(tortie.staleRoutes(PEER4).sort()).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
      expect(withdrawn).toEqual([]);

      second.send(update(0));
      second.send(END_OF_RIB);
      await waitFor(() => tortie.staleRoutes(PEER4).length === 0, {
        what: "swept after End-of-RIB",
      });
      expect(tortie.routes(PEER4).map((r) => r.prefix)).toEqual(["198.51.100.0/26"]);
      expect(withdrawn).toEqual(["198.51.100.64/26"]);
      expect(second.closed).toBe(false);
    });

    it("a dynamic neighbor's routes are kept across its restart too (it is not forgotten while they are stale)", async () => {
      const topo = await pairTopology(tb);
      const ns = topo.host("peer").nsPath;
      const tortie = await startTortie(tb, topo, {
        asn: 65002,
        gracefulRestart: { restartTime: 60 },
        dynamicNeighbors: [{ prefix: "192.0.2.0/24", asn: PEER_AS, errorWaitTime: [0, 0] }],
      });
      const withdrawn: string[] = [];
      tortie.on("routes", (e) => withdrawn.push(...e.withdrawn));
      const first = await grSession(tb, ns, false);
      await established(tortie, PEER4);
      first.send(update(0));
      first.send(update(64));
      await learned(tortie, PEER4, "198.51.100.64/26");
      await learned(tortie, PEER4, "198.51.100.0/26");

      first.destroy(); // the peer dies: FIN, no NOTIFICATION
      await waitFor(() => tortie.peer(PEER4)?.state !== "Established", { what: "session down" });
      await new Promise((r) => setTimeout(r, 300));
      expect(tortie.peer(PEER4)).toBeDefined();
      expect(tortie.staleRoutes(PEER4).sort()).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
      expect(withdrawn).toEqual([]);

      const second = await grSession(tb, ns, true);
      await established(tortie, PEER4);
      second.send(update(64));
      second.send(END_OF_RIB);
      await waitFor(() => tortie.staleRoutes(PEER4).length === 0, {
        what: "swept after End-of-RIB",
      });
      expect(tortie.routes(PEER4).map((r) => r.prefix)).toEqual(["198.51.100.64/26"]);
      expect(withdrawn).toEqual(["198.51.100.0/26"]);
    });
  },
);
