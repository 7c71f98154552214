// Read fairness (read-turns.ts), attacked with floods: hand-driven peers
// write megabytes of UPDATEs at once. The speaker must handle at most one
// read (64 KiB, and what Node buffered meanwhile) per session per turn of
// the event loop — not the up to 32 reads of 64 KiB libuv would take in
// one go — shared out 16 KiB at a time between the sessions, at most
// SERVE_OCTETS (256 KiB) of held sessions' messages in a turn, and a peer
// connecting in the middle of the floods must come up and have its route
// installed before they are done. Measured, one flood of 6,000 UPDATEs of
// 2,050 octets: at most 32 UPDATEs (one read) in a turn, the late peer's
// route in after 2,585–2,937 of the 6,000; without the turns 1,023 (2 MiB)
// in one turn and the late route after 4,860. Sixteen floods of 400 each:
// at most 32 of one session's and 152–200 of all in a turn, never more
// than 24 apart, the late route in after 1,432–1,736 of the 6,400; without
// the cap 512 in a turn in two runs of three (the bound asserted is 425)
// and the late route after 3,235–3,771; without the
// turns 303 of one session's in a turn, 135 apart, and the late route only
// after all of them.
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { encodeMessage, type UpdateMessage } from "../wire/index.js";
import { established, lanTopology, startTortie, TORTIE4 } from "./interop.fixture.js";
import { CTX4, type RawConn, trackedRaw4 } from "./raw-peer.fixture.js";
import { SERVE_OCTETS, TURN_OCTETS } from "./read-turns.js";

const skip = requirePrereqs(["root"]);

/** libuv's read size in Node: what one read of a busy socket hands over. */
const READ_OCTETS = 64 * 1024;
/**
 * UPDATEs of `octets` one session may handle in one turn of the event loop:
 * a read and the message that crosses it, twice (what Node buffered while
 * the socket was held is handed over in the turn that releases it).
 */
const perTurnBound = (octets: number) => 2 * (Math.ceil(READ_OCTETS / octets) + 1);

const FLOOD = "192.0.2.3";
const LATE = "192.0.2.4";
/** Sixteen flooding peers at once (192.0.2.10–25). */
const MANY = Array.from({ length: 16 }, (_, k) => `192.0.2.${10 + k}`);
const MANY_LATE = "192.0.2.40";
/** UPDATEs each of the sixteen sends. */
const MANY_UPDATES = 400;
/** UPDATEs in the flood, each re-announcing the same 400 /32s with its own MED. */
const FLOOD_UPDATES = 6000;
const PER_UPDATE = 400;

/** An UPDATE announcing /32s `first`… of 198.18.0.0/15 with MED `med`, next hop `nh`. */
function update(first: number, count: number, med: number, nh: string): UpdateMessage {
  const nlri = [];
  for (let i = first; i < first + count; i++)
    nlri.push({ afi: 1, length: 32, bytes: Uint8Array.from([198, 18, (i >> 8) & 255, i & 255]) });
  return {
    type: "update",
    withdrawn: [],
    attributes: [
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [{ type: 2, asns: [65099] }] },
      { type: "next-hop", nextHop: nh },
      { type: "med", med },
    ],
    nlri,
  };
}

/**
 * Once the flood is under way (`handled` > 0), a peer at `address` connects
 * (`connect`), comes up and sends one route; returns it and how many of the
 * flood's UPDATEs were handled when its route was installed.
 */
async function arriveLate(
  tortie: Awaited<ReturnType<typeof startTortie>>,
  connect: () => Promise<RawConn>,
  address: string,
  handled: () => number,
): Promise<{ late: RawConn; handledAtLate: number }> {
  await waitFor(() => handled() > 0 || undefined, { what: "the flood under way", intervalMs: 1 });
  const late = await connect();
  await established(tortie, address);
  late.send(update(1000, 1, 0, address));
  await waitFor(() => tortie.routeCount(address) === 1 || undefined, {
    what: "the late peer's route installed",
  });
  return { late, handledAtLate: handled() };
}

describe.skipIf(skip)("read fairness: one peer's flood does not hold up the others", () => {
  const tb = useTestbed();

  it("a flood is handled a read per turn; a peer arriving meanwhile comes up first", async () => {
    const topo = await lanTopology(tb, { raw: [FLOOD, LATE], tortie: TORTIE4 });
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [
        { address: FLOOD, asn: 65099, passive: true },
        { address: LATE, asn: 65098, passive: true },
      ],
    });
    const nsPath = topo.host("raw").nsPath;
    const raw = (local: string, asn: number) => trackedRaw4(tb, nsPath, local, asn, TORTIE4);
    const flood = await raw(FLOOD, 65099);
    await established(tortie, FLOOD);

    const messages = Array.from({ length: FLOOD_UPDATES }, (_, k) =>
      encodeMessage(update(0, PER_UPDATE, k, FLOOD), CTX4),
    );
    const octets = messages[0]!.length;
    const floodUpdates = () => tortie.peer(FLOOD)?.messages.received.update ?? 0;

    // One sample per turn of the event loop (setImmediate runs once a turn):
    // how many of the flood's UPDATEs the speaker handled in that turn.
    const perTurn: number[] = [];
    let seen = floodUpdates();
    const sampled = new Promise<void>((resolve) => {
      const tick = () => {
        const n = floodUpdates();
        perTurn.push(n - seen);
        seen = n;
        if (n >= FLOOD_UPDATES) resolve();
        else setImmediate(tick);
      };
      setImmediate(tick);
    });
    flood.send(Buffer.concat(messages));

    // A second peer arrives while the flood is being read.
    const { late, handledAtLate: floodAtLate } = await arriveLate(
      tortie,
      () => raw(LATE, 65098),
      LATE,
      floodUpdates,
    );

    await sampled;
    await waitFor(() => tortie.routeCount(FLOOD) === PER_UPDATE || undefined, {
      what: "the flood's routes",
      timeoutMs: 30_000,
    });
    expect(floodAtLate).toBeLessThan(FLOOD_UPDATES);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(perTurnBound(octets));
    expect(flood.notifications()).toEqual([]);
    expect(late.notifications()).toEqual([]);
  });

  it("sixteen floods at once: each is handled a read per turn, all of them in step; a peer arriving meanwhile comes up first", async () => {
    const topo = await lanTopology(tb, { raw: [...MANY, MANY_LATE], tortie: TORTIE4 });
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [
        ...MANY.map((address, k) => ({ address, asn: 65100 + k, passive: true })),
        { address: MANY_LATE, asn: 65098, passive: true },
      ],
    });
    const nsPath = topo.host("raw").nsPath;
    const raw = (local: string, asn: number) => trackedRaw4(tb, nsPath, local, asn, TORTIE4);
    const floods = await Promise.all(MANY.map((a, k) => raw(a, 65100 + k)));
    for (const a of MANY) await established(tortie, a);

    const payloads = MANY.map((a) =>
      Buffer.concat(
        Array.from({ length: MANY_UPDATES }, (_, k) =>
          encodeMessage(update(0, PER_UPDATE, k, a), CTX4),
        ),
      ),
    );
    const octets = payloads[0]!.length / MANY_UPDATES;
    const total = MANY.length * MANY_UPDATES;
    const of = (a: string) => tortie.peer(a)?.messages.received.update ?? 0;
    const handled = () => MANY.reduce((n, a) => n + of(a), 0);

    // One sample per turn of the event loop: the most UPDATEs one flood had
    // handled in that turn, all of them together, and how far apart they were.
    const mostPerTurn: number[] = [];
    const allPerTurn: number[] = [];
    const spread: number[] = [];
    let seen = MANY.map(of);
    const sampled = new Promise<void>((resolve) => {
      const tick = () => {
        const now = MANY.map(of);
        mostPerTurn.push(Math.max(...now.map((n, k) => n - seen[k]!)));
        allPerTurn.push(now.reduce((a, n, k) => a + n - seen[k]!, 0));
        if (Math.min(...now) < MANY_UPDATES) spread.push(Math.max(...now) - Math.min(...now));
        seen = now;
        if (now.every((n) => n >= MANY_UPDATES)) resolve();
        else setImmediate(tick);
      };
      setImmediate(tick);
    });
    for (const [k, f] of floods.entries()) f.send(payloads[k]!);

    const { late, handledAtLate: atLate } = await arriveLate(
      tortie,
      () => raw(MANY_LATE, 65098),
      MANY_LATE,
      handled,
    );

    await sampled;
    for (const a of MANY)
      await waitFor(() => tortie.routeCount(a) === PER_UPDATE || undefined, {
        what: `${a}'s routes`,
        timeoutMs: 30_000,
      });
    expect(atLate).toBeLessThan(total);
    expect(Math.max(...mostPerTurn)).toBeLessThanOrEqual(perTurnBound(octets));
    // All together: what the held sessions are served (SERVE_OCTETS and the
    // share that crosses it), and at most two shares of each session besides
    // (its first on a new read; what Node buffered, handed over when it is
    // released). Without the cap, 512 (every session's read, 16 × 32).
    const share = Math.ceil(TURN_OCTETS / octets) + 1;
    const served = Math.ceil(SERVE_OCTETS / octets) + share;
    expect(Math.max(...allPerTurn)).toBeLessThanOrEqual(served + 2 * MANY.length * share);
    // In step: no flood more than about a read ahead of another (they were
    // written at once; the kernel and libuv decide who is read first).
    expect(Math.max(...spread)).toBeLessThanOrEqual(perTurnBound(octets));
    for (const f of floods) expect(f.notifications()).toEqual([]);
    expect(late.notifications()).toEqual([]);
  }, 60_000);
});
