// Malformed input from a peer (a raw socket peer speaking BGP by hand):
// RFC 7606 treat-as-withdraw and attribute-discard keep the session up, a
// broken header resets only that session (RFC 4271 §6.1), and another peer
// — a real BIRD — notices nothing.
import { requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { established, learned, startTortie, TORTIE4 } from "./interop.fixture.js";
import { connected, RawConn } from "./raw-peer.fixture.js";
import { connectTcp } from "./transport.js";

const skip = requirePrereqs(["root", "bird"]);

/** An UPDATE from raw attribute bytes and IPv4 NLRI bytes (RFC 4271 §4.3). */
function rawUpdate(attrs: number[], nlri: number[]): Uint8Array {
  const body = [0, 0, attrs.length >> 8, attrs.length & 0xff, ...attrs, ...nlri];
  const len = 19 + body.length;
  return Uint8Array.from([...Array(16).fill(0xff), len >> 8, len & 0xff, 2, ...body]);
}
const ORIGIN_IGP = [0x40, 1, 1, 0];
const AS_PATH_65099 = [0x40, 2, 6, 2, 1, 0, 0, 0xfe, 0x4b];
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 3];
const P0 = [26, 198, 51, 100, 0]; // 198.51.100.0/26
const P64 = [26, 198, 51, 100, 64]; // 198.51.100.64/26

/** A hand-driven BGP peer from `nsPath`: connects, OPEN, KEEPALIVE, then whatever the test writes. */
async function rawPeer(nsPath: string): Promise<RawConn> {
  const sock = connectTcp({
    remoteAddress: TORTIE4,
    remotePort: 179,
    localAddress: "192.0.2.3",
    netns: nsPath,
  });
  const conn = new RawConn(await connected(sock));
  conn.open(65099, "192.0.2.3");
  await conn.waitFor((m) => m.type === "open", "Tortie's OPEN");
  conn.keepalive();
  return conn;
}

describe.skipIf(skip)("malformed UPDATEs from a peer", () => {
  const tb = useTestbed();

  it("treat-as-withdraw and attribute-discard keep the session; a bad header resets only it", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "raw", "tortie"],
      segments: {
        lan: {
          members: { bird: ["192.0.2.1/24"], raw: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        static4: ["203.0.113.0/26"],
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65002, ipv4: true }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        { address: "192.0.2.3", asn: 65099, passive: true },
      ],
    });
    await established(tortie, "192.0.2.1");
    await learned(tortie, "192.0.2.1", "203.0.113.0/26");
    const birdBefore = tortie.peer("192.0.2.1")!;

    const raw = await rawPeer(topo.host("raw").nsPath);
    tb.defer(() => raw.destroy());
    await established(tortie, "192.0.2.3");

    // 1. A good route.
    raw.send(rawUpdate([...ORIGIN_IGP, ...AS_PATH_65099, ...NEXT_HOP], P0));
    await learned(tortie, "192.0.2.3", "198.51.100.0/26");

    // 2. The same prefix with ORIGIN 5 (undefined value): RFC 7606 §7.1 treat-as-withdraw.
    raw.send(rawUpdate([0x40, 1, 1, 5, ...AS_PATH_65099, ...NEXT_HOP], P0));
    await waitFor(() => !tortie.routes("192.0.2.3").some((r) => r.prefix === "198.51.100.0/26"), {
      what: "route withdrawn by treat-as-withdraw",
    });

    // 3. AGGREGATOR of the wrong length: RFC 7606 §7.7 attribute discard, the route stays.
    raw.send(rawUpdate([...ORIGIN_IGP, ...AS_PATH_65099, ...NEXT_HOP, 0xc0, 7, 3, 1, 2, 3], P64));
    const r = await learned(tortie, "192.0.2.3", "198.51.100.64/26");
    expect(r.attributes.some((a) => a.type === "aggregator")).toBe(false);
    expect(tortie.peer("192.0.2.3")?.state).toBe("Established");
    expect(raw.received.filter((m) => m.type === "notification")).toEqual([]);

    // 4. A header whose marker is not all ones: NOTIFICATION 1/1 and the session resets (RFC 4271 §6.1).
    const bad = rawUpdate([...ORIGIN_IGP, ...AS_PATH_65099, ...NEXT_HOP], P0);
    bad[3] = 0;
    raw.send(bad);
    await waitFor(() => raw.closed, { what: "Tortie closes the raw peer's session" });
    expect(raw.received.filter((m) => m.type === "notification")).toMatchObject([
      { code: 1, subcode: 1 },
    ]);
    expect(tortie.peer("192.0.2.3")?.lastError?.sent?.code).toBe(1);
    await waitFor(() => tortie.routes("192.0.2.3").length === 0, {
      what: "raw peer's routes gone",
    });

    // The BIRD session noticed nothing: same session, no flap, routes intact, Tortie's event loop alive.
    const birdAfter = tortie.peer("192.0.2.1")!;
    expect(birdAfter.state).toBe("Established");
    expect(birdAfter.flaps).toBe(birdBefore.flaps);
    expect(birdAfter.connection?.localPort).toBe(birdBefore.connection?.localPort);
    expect(tortie.routes("192.0.2.1").map((x) => x.prefix)).toContain("203.0.113.0/26");
    expect((await bird.protocol("tortie"))?.info).toMatch(/^Established/);
  });
});
