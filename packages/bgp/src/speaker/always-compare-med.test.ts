// The speaker's `alwaysCompareMed` reaches its RIB's decision process: two
// paths from different neighbour ASes, differing only in MED, are decided by
// MED with the option (BIRD `med metric`) and by router id without it
// (RFC 4271 §9.1.2.2 c compares MED only within one neighbour AS).
import { describe, expect, it } from "vitest";
import { attrs, pfx } from "../rib/rib.fixture.js";
import { Speaker } from "./speaker.js";

async function winner(alwaysCompareMed: boolean): Promise<string | undefined> {
  const bgp = await Speaker.start({
    asn: 64500,
    routerId: "192.0.2.254",
    listen: false,
    ...(alwaysCompareMed ? { alwaysCompareMed } : {}),
  });
  try {
    // Peer .1 has the lower router id but the higher MED.
    bgp.rib.addPeer({ id: "192.0.2.1", address: "192.0.2.1", asn: 64501, routerId: "192.0.2.1" });
    bgp.rib.addPeer({ id: "192.0.2.2", address: "192.0.2.2", asn: 64502, routerId: "192.0.2.2" });
    const p = pfx("198.51.100.0/24");
    bgp.rib.announce("192.0.2.1", p, attrs({ path: [64501], nextHop: "192.0.2.1", med: 50 }));
    bgp.rib.announce("192.0.2.2", p, attrs({ path: [64502], nextHop: "192.0.2.2", med: 10 }));
    return bgp.routes({ prefix: "198.51.100.0/24", bestOnly: true })[0]?.peer;
  } finally {
    await bgp.close();
  }
}

describe("Speaker alwaysCompareMed", () => {
  it("off (default): MED of different neighbour ASes is not compared; the lower router id wins", async () => {
    expect(await winner(false)).toBe("192.0.2.1");
  });
  it("on: the lower MED wins across neighbour ASes", async () => {
    expect(await winner(true)).toBe("192.0.2.2");
  });
});
