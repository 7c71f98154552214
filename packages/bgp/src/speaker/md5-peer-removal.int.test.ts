// A removed peer takes its TCP-MD5 key off the listening socket (RFC 2385
// keys are per remote address on the listener): the same address added
// again without a password, or with another one, can connect. Against BIRD,
// which connects to a passive Tortie, so that only the listener is involved.
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { birdSession, lanTopology } from "./interop.fixture.js";
import { Speaker } from "./speaker.js";

const skip = requirePrereqs(["root", "bird"]);

describe.skipIf(skip)("TCP-MD5 key of a removed peer", () => {
  const tb = useTestbed();

  it("is removed from the listener: the peer re-added without a password comes up", async () => {
    const topo = await lanTopology(tb, { bird: "192.0.2.1", tortie: "192.0.2.2" });
    const birdWith = (password?: string) =>
      birdSession(tb, topo.host("bird"), {
        routerId: "192.0.2.1",
        asn: 65001,
        neighbor: "192.0.2.2",
        neighborAs: 65001,
        originate: ["198.51.100.0/26"],
        session: {
          ...(password ? { password } : {}),
          extra: "  connect retry time 1;\n  error wait time 1,2;",
        },
      });
    const tortie = await Speaker.start({
      asn: 65001,
      routerId: "192.0.2.2",
      netns: topo.host("tortie").nsPath,
      listen: { address: "0.0.0.0", port: 179 },
      peers: [{ address: "192.0.2.1", asn: 65001, passive: true, password: "old-key" }],
    });
    tb.defer(() => tortie.close());

    // With the key on both sides the session comes up.
    const first = await birdWith("old-key");
    await first.waitEstablished("tortie");
    await first.stop();

    // Removed and added again without a password; BIRD without one too.
    tortie.removePeer("192.0.2.1");
    tortie.addPeer({ address: "192.0.2.1", asn: 65001, passive: true });
    const second = await birdWith();
    await second.waitEstablished("tortie");
    await waitFor(() => tortie.peer("192.0.2.1")?.state === "Established", {
      what: "Tortie: the re-added peer Established",
    });
    expect(tortie.routes("192.0.2.1").map((r) => r.prefix)).toContain("198.51.100.0/26");
  });
});
