// Send-side robustness and max-prefix, against hand-driven BGP peers:
// - RFC 9687: a peer that stops reading is closed with NOTIFICATION 8 (Send
//   Hold Timer Expired) after the send hold time, while a reading peer on the
//   same speaker gets the whole table;
// - max-prefix (RFC 4486 §4): `warn` keeps the session, `cease` closes it
//   with Cease / Maximum Number of Prefixes Reached, drops the peer's routes
//   and starts the session again after `restartAfterSec`.
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { established, lanTopology, startTortie, TORTIE4 } from "./interop.fixture.js";
import { trackedRaw4 } from "./raw-peer.fixture.js";

const skip = requirePrereqs(["root"]);

const SLOW = "192.0.2.3";
const READER = "192.0.2.4";

/** An UPDATE announcing `prefixes` (/32s of 198.18.0.0/15, by index) from AS 65099 with next hop `nh`. */
function update(first: number, count: number, nh: string) {
  const nlri = [];
  for (let i = first; i < first + count; i++)
    nlri.push({ afi: 1, length: 32, bytes: Uint8Array.from([198, 18, (i >> 8) & 255, i & 255]) });
  return {
    type: "update" as const,
    withdrawn: [],
    attributes: [
      { type: "origin" as const, origin: 0 },
      { type: "as-path" as const, segments: [{ type: 2, asns: [65099] }] },
      { type: "next-hop" as const, nextHop: nh },
    ],
    nlri,
  };
}

describe.skipIf(skip)("send side: RFC 9687 send hold timer, max-prefix", () => {
  const tb = useTestbed();
  /** A hand-driven 4-octet session from `local` in the "raw" host. */
  const raw = (nsPath: string, local: string, asn: number) =>
    trackedRaw4(tb, nsPath, local, asn, TORTIE4);

  it("a peer that stops reading gets NOTIFICATION 8 after the send hold time; a reading one gets everything", async () => {
    const topo = await lanTopology(tb, { raw: [SLOW, READER], tortie: TORTIE4 });
    // 3,000 routes with a 3,000-octet attribute each, all different: about
    // 9 MB of UPDATEs — more than the kernel's socket buffers hold.
    const originate = [];
    for (let i = 0; i < 3000; i++) {
      originate.push({
        prefix: `198.18.${i >> 8}.${i & 255}/32`,
        med: i,
        rawAttributes: [{ code: 0x63, flags: 0xc0, value: "ab".repeat(3000) }],
      });
    }
    const warnings: string[] = [];
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      updateDelayMs: 0,
      peers: [
        { address: SLOW, asn: 65099, passive: true, sendHoldTime: 2 },
        { address: READER, asn: 65098, passive: true, sendHoldTime: 2 },
      ],
      originate,
    });
    tortie.on("warning", (e) => warnings.push(e.message));
    const nsPath = topo.host("raw").nsPath;
    // The timer cannot start before the session does.
    const t0 = Date.now();
    const slow = await raw(nsPath, SLOW, 65099);
    slow.socket.pause(); // reads nothing from now on
    const reader = await raw(nsPath, READER, 65098);
    await established(tortie, READER);
    const down = await waitFor(
      () => (tortie.peer(SLOW)?.lastError?.sent?.code === 8 ? tortie.peer(SLOW) : undefined),
      { what: "Send Hold Timer Expired towards the peer that stopped reading", timeoutMs: 20_000 },
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
    expect(down.state).not.toBe("Established");
    expect(warnings.some((w) => w.includes("send hold timer expired"))).toBe(true);
    // The reading peer got every route and End-of-RIB, and stays up.
    await waitFor(
      () => reader.received.filter((m) => m.type === "update").length >= 3001 || undefined,
      { what: "the whole table and End-of-RIB at the reading peer", timeoutMs: 30_000 },
    );
    reader.keepalive();
    expect(tortie.peer(READER)?.state).toBe("Established");
    expect(reader.notifications()).toEqual([]);
  });

  it("max-prefix: warn keeps the session; cease sends Cease/1, drops the routes and restarts later", async () => {
    const topo = await lanTopology(tb, { raw: [SLOW, READER], tortie: TORTIE4 });
    const warnings: string[] = [];
    const states: string[] = [];
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [
        {
          address: SLOW,
          asn: 65099,
          passive: true,
          maxPrefix: { limit: 10, action: "cease", restartAfterSec: 1 },
        },
        { address: READER, asn: 65098, passive: true, maxPrefix: { limit: 10, action: "warn" } },
      ],
    });
    tortie.on("warning", (e) => warnings.push(e.message));
    tortie.on("peer-state", (e) => e.peer === SLOW && states.push(e.to));
    const nsPath = topo.host("raw").nsPath;

    const warned = await raw(nsPath, READER, 65098);
    await established(tortie, READER);
    warned.send(update(0, 12, READER));
    await waitFor(() => tortie.routeCount(READER) === 12, { what: "12 routes accepted (warn)" });
    expect(warnings.some((w) => w.includes("max-prefix") && w.includes(READER))).toBe(true);
    expect(tortie.peer(READER)?.state).toBe("Established");

    const ceased = await raw(nsPath, SLOW, 65099);
    await established(tortie, SLOW);
    ceased.send(update(100, 8, SLOW));
    await waitFor(() => tortie.routeCount(SLOW) === 8);
    ceased.send(update(200, 5, SLOW));
    const n = await ceased.waitFor((m) => m.type === "notification", "Cease/1");
    expect(n).toMatchObject({ code: 6, subcode: 1 });
    await waitFor(() => tortie.routeCount(SLOW) === 0, { what: "the peer's routes dropped" });
    expect(tortie.routes({ prefix: "198.18.0.100/32" })).toEqual([]);
    expect(tortie.peer(SLOW)?.lastError?.sent).toMatchObject({ code: 6, subcode: 1 });
    // restartAfterSec: the (passive) session waits for the peer again.
    await waitFor(() => states.at(-1) === "Active", {
      what: "the session started again after restartAfterSec",
      timeoutMs: 5_000,
    });
    expect(states).toContain("Idle");
  });
});
