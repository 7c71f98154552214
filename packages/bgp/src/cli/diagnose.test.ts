import { describe, expect, it } from "vitest";
import { parseSpeakerConfig } from "../speaker/config.js";
import type { PeerStatus } from "../speaker/session.js";
import { describeTimers, diagnoseError, localSide, peerInfo } from "./diagnose.js";

const local = { asn: 64512, routerId: "192.0.2.2", holdTime: 90 };
const peer = (over: Partial<PeerStatus>): PeerStatus =>
  ({
    address: "192.0.2.1",
    port: 179,
    asn: 64513,
    localAsn: 64512,
    dynamic: false,
    passive: false,
    state: "Idle",
    since: 0,
    messages: {
      sent: { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 },
      received: { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 },
    },
    prefixes: { received: 0, advertised: 0, stale: 0 },
    connectRetryCounter: 0,
    flaps: 0,
    internalErrors: 0,
    ...over,
  }) as PeerStatus;
const failed = (e: Partial<NonNullable<PeerStatus["lastError"]>>) =>
  peer({ lastError: { event: "BGPOpenMsgErr", state: "OpenSent", at: 0, ...e } });
const notif = (code: number, subcode: number) => ({ code, subcode, text: "" });

describe("diagnoseError", () => {
  it("Bad Peer AS we send: configured and received, as BIRD says it", () => {
    expect(
      diagnoseError(failed({ sent: notif(2, 2), reason: "peer AS 64512, expected 64513" }), local),
    ).toBe("Bad peer AS: configured 64513, received 64512");
    expect(
      diagnoseError(
        failed({ sent: notif(2, 2), reason: "peer AS 64999, expected internal" }),
        local,
      ),
    ).toBe("Bad peer AS: configured internal (64512), received 64999");
  });
  it("Bad Peer AS we receive: names the AS we sent", () => {
    expect(diagnoseError(failed({ received: notif(2, 2) }), local)).toBe(
      "Received: Bad peer AS: the peer does not accept our AS 64512 (configure 64512 for us there, or set localAsn here)",
    );
  });
  it("names bad identifiers, unsupported capabilities, hold times and the rest", () => {
    expect(
      diagnoseError(
        failed({ sent: notif(2, 3), reason: "iBGP peer uses our BGP identifier" }),
        local,
      ),
    ).toBe("Bad BGP identifier: iBGP peer uses our BGP identifier (ours 192.0.2.2)");
    expect(diagnoseError(failed({ received: notif(2, 3) }), local)).toMatch(
      /^Received: Bad BGP identifier: the peer refuses our router id 192\.0\.2\.2/,
    );
    expect(diagnoseError(failed({ received: notif(2, 7) }), local)).toMatch(
      /^Received: Unsupported capability: the peer requires a capability we do not advertise/,
    );
    expect(diagnoseError(failed({ received: notif(2, 6) }), local)).toBe(
      "Received: Unacceptable hold time: the peer refuses our hold time 90 s",
    );
    expect(diagnoseError(failed({ received: notif(4, 0) }), local)).toBe(
      "Received: Hold timer expired",
    );
    expect(
      diagnoseError(failed({ received: { ...notif(6, 2), message: "maintenance" } }), local),
    ).toBe('Received: Administrative shutdown "maintenance"');
    expect(diagnoseError(peer({}), local)).toBeUndefined();
    expect(diagnoseError(failed({ event: "TcpConnectionFails" }), local)).toBeUndefined();
  });
});

describe("describeTimers", () => {
  const up = (holdTime: number, keepaliveTime: number) => ({ holdTime, keepaliveTime });
  it("says whose hold time won (the smaller, RFC 4271 §4.2) and the keepalive", () => {
    expect(describeTimers(up(30, 10), local)).toBe(
      "hold time 30 s (the peer's; we proposed 90 s), keepalive 10 s",
    );
    expect(describeTimers(up(90, 30), local)).toBe(
      "hold time 90 s (ours; the peer proposed as much or more), keepalive 30 s",
    );
    expect(describeTimers(up(0, 0), local)).toBe("hold time 0 (no keepalives, RFC 4271 §4.4)");
  });
});

describe("peerInfo", () => {
  const config = parseSpeakerConfig({
    asn: 64512,
    routerId: "192.0.2.2",
    peers: [{ address: "192.0.2.1", asn: 64513, holdTime: 60 }],
  });
  it("takes our side from the peer's configuration", () => {
    expect(localSide(config, undefined, "192.0.2.1")).toEqual({
      asn: 64512,
      routerId: "192.0.2.2",
      holdTime: 60,
    });
  });
  it("a noted cause wins over the last error until the peer is up", () => {
    const p = failed({ received: notif(2, 2) });
    expect(peerInfo(p, config)).toMatch(/^Received: Bad peer AS/);
    const notes = new Map([["192.0.2.1", "no reply to SYN from 192.0.2.1:179"]]);
    expect(peerInfo(p, config, notes)).toBe("no reply to SYN from 192.0.2.1:179");
  });
});
