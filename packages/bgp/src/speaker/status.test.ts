import { describe, expect, it } from "vitest";
import type { PeerStatus } from "./session.js";
import type { SpeakerStatus } from "./speaker.js";
import { formatStatus } from "./status.js";

const counters = { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
const base: PeerStatus = {
  address: "192.0.2.250",
  port: 179,
  asn: 64512,
  localAsn: 64512,
  dynamic: false,
  passive: false,
  state: "Established",
  since: 0,
  uptimeMs: 3_723_000,
  messages: { sent: counters, received: counters },
  prefixes: { received: 3, stale: 0, advertised: 1 },
  connectRetryCounter: 0,
  flaps: 0,
  internalErrors: 0,
};

describe("formatStatus", () => {
  it("prints one row per peer like calicoctl node status, with the reason a peer is down", () => {
    const s: SpeakerStatus = {
      asn: 64512,
      routerId: "192.0.2.11",
      listen: { address: "::", port: 179 },
      originated: ["198.51.100.0/26"],
      internalErrors: 0,
      peers: [
        base,
        {
          ...base,
          address: "192.0.2.13",
          asn: 65001,
          dynamic: true,
          state: "Idle",
          uptimeMs: undefined,
          since: 1_000,
          lastError: {
            event: "NotifMsg",
            state: "Established",
            at: 1_000,
            received: {
              code: 6,
              subcode: 2,
              message: "maintenance",
              text: "Cease / Administrative Shutdown",
            },
          },
        },
      ],
    };
    const out = formatStatus(s, 61_000);
    expect(out).toContain("BGP speaker AS 64512, router id 192.0.2.11, listening on :: port 179");
    expect(out).toMatch(
      /\| 192\.0\.2\.250 +\| 64512 +\| iBGP +\| Established \| 01:02:03 \| 3\/1 +\| Established/,
    );
    expect(out).toMatch(
      /\| 192\.0\.2\.13 +\| 65001 +\| eBGP \(dynamic\) \| Idle +\| 00:01:00 \| 3\/1 +\| Received: Cease \/ Administrative Shutdown "maintenance" \|/,
    );
  });
});
