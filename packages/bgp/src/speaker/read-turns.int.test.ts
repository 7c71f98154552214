// Read fairness (read-turns.ts), attacked with a flood: a hand-driven peer
// writes 12 MB of UPDATEs at once. The speaker must handle a turn's share of
// it (16 KiB) per turn of the event loop — not the up to 32 reads of 64 KiB
// libuv would take in one go — and a second peer connecting in the middle
// of the flood must come up and have its route installed before the flood
// is done. Measured: at most 8 of the 2,050-octet UPDATEs (one share) in a
// turn, the late peer's route in after 2,100–2,600 of the 6,000; without the
// turns, 1,023 UPDATEs (2 MiB) in one turn and the late route after 5,210.
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { encodeMessage, type UpdateMessage } from "../wire/index.js";
import { established, lanTopology, startTortie, TORTIE4 } from "./interop.fixture.js";
import { CTX4, trackedRaw4 } from "./raw-peer.fixture.js";
import { TURN_OCTETS } from "./read-turns.js";

const skip = requirePrereqs(["root"]);

const FLOOD = "192.0.2.3";
const LATE = "192.0.2.4";
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

describe.skipIf(skip)("read fairness: one peer's flood does not hold up the others", () => {
  const tb = useTestbed();

  it("a flood is handled a 16 KiB share per turn; a peer arriving meanwhile comes up first", async () => {
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
    await waitFor(() => floodUpdates() > 0 || undefined, {
      what: "the flood under way",
      intervalMs: 1,
    });
    const late = await raw(LATE, 65098);
    await established(tortie, LATE);
    late.send(update(1000, 1, 0, LATE));
    await waitFor(() => tortie.routeCount(LATE) === 1 || undefined, {
      what: "the late peer's route installed",
    });
    const floodAtLate = floodUpdates();

    await sampled;
    await waitFor(() => tortie.routeCount(FLOOD) === PER_UPDATE || undefined, {
      what: "the flood's routes",
      timeoutMs: 30_000,
    });
    expect(floodAtLate).toBeLessThan(FLOOD_UPDATES);
    // A share and the message that crosses it, at most twice between two
    // samples: the held rest finished on one turn (with what Node buffered
    // meanwhile), and a new read's share on the next turn's poll.
    const bound = 2 * (Math.ceil(TURN_OCTETS / octets) + 1);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(bound);
    expect(flood.notifications()).toEqual([]);
    expect(late.notifications()).toEqual([]);
  });
});
