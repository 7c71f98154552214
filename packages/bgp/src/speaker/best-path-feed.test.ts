// The speaker's RIB builds best-path deltas only while someone listens for
// them (`returnDeltas: false`; the speaker subscribes to its RIB while it has
// a `subscribe()` callback or a "best-path" event listener), and every
// listener still gets each change.
import { describe, expect, it } from "vitest";
import { attrs, pfx } from "../rib/rib.fixture.js";
import type { BestPathChange } from "./rib-view.js";
import { Speaker } from "./speaker.js";

async function withSpeaker(fn: (bgp: Speaker) => void): Promise<void> {
  const bgp = await Speaker.start({ asn: 64500, routerId: "192.0.2.254", listen: false });
  try {
    bgp.rib.addPeer({ id: "192.0.2.1", address: "192.0.2.1", asn: 64501 });
    fn(bgp);
  } finally {
    await bgp.close();
  }
}

const route = (n: number) => pfx(`198.51.100.${n}/32`);
const from1 = attrs({ path: [64501], nextHop: "192.0.2.1" });

describe("Speaker best-path feed", () => {
  it("builds no deltas while nobody listens, and still holds every route", () =>
    withSpeaker((bgp) => {
      const r = bgp.rib.announce("192.0.2.1", route(1), from1);
      expect(r.deltas).toEqual([]);
      expect(bgp.routes({ prefix: "198.51.100.1/32", bestOnly: true })[0]?.peer).toBe("192.0.2.1");
      expect(bgp.rib.withdraw("192.0.2.1", route(1))).toEqual([]);
      expect(bgp.routes({ prefix: "198.51.100.1/32" })).toEqual([]);
    }));

  it("feeds subscribe() callbacks and best-path listeners while any is there", () =>
    withSpeaker((bgp) => {
      const viaSubscribe: BestPathChange[] = [];
      const viaEvent: BestPathChange[] = [];
      const onEvent = (e: { changes: readonly BestPathChange[] }) => viaEvent.push(...e.changes);

      bgp.on("best-path", onEvent);
      expect(bgp.rib.announce("192.0.2.1", route(1), from1).deltas).toHaveLength(1);
      const off = bgp.subscribe((c) => viaSubscribe.push(...c));
      bgp.rib.announce("192.0.2.1", route(2), from1);
      bgp.off("best-path", onEvent);
      // the subscribe() callback alone keeps the feed
      bgp.rib.announce("192.0.2.1", route(3), from1);
      off();
      // nobody left: no deltas, no calls
      expect(bgp.rib.announce("192.0.2.1", route(4), from1).deltas).toEqual([]);
      bgp.once("best-path", onEvent);
      bgp.rib.announce("192.0.2.1", route(5), from1);
      // a once() listener is gone after its call: quiet again
      expect(bgp.rib.announce("192.0.2.1", route(6), from1).deltas).toEqual([]);

      // removeAllListeners() drops the speaker's own watchers too: it sets them up again
      bgp.on("best-path", onEvent);
      bgp.removeAllListeners();
      expect(bgp.rib.announce("192.0.2.1", route(7), from1).deltas).toEqual([]);
      bgp.on("best-path", onEvent);
      bgp.rib.announce("192.0.2.1", route(8), from1);
      bgp.removeAllListeners("best-path");
      expect(bgp.rib.announce("192.0.2.1", route(9), from1).deltas).toEqual([]);

      const names = (cs: BestPathChange[]) => cs.map((c) => c.prefix);
      expect(names(viaEvent)).toEqual([
        "198.51.100.1/32",
        "198.51.100.2/32",
        "198.51.100.5/32",
        "198.51.100.8/32",
      ]);
      expect(names(viaSubscribe)).toEqual(["198.51.100.2/32", "198.51.100.3/32"]);
      expect(bgp.routes({ bestOnly: true })).toHaveLength(9);
    }));
});
