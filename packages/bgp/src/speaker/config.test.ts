import { describe, expect, it } from "vitest";
import { ConfigError, parseSpeakerConfig } from "./config.js";

describe("speaker config", () => {
  it("fills defaults like BIRD/Calico", () => {
    const c = parseSpeakerConfig({
      asn: 64512,
      routerId: "192.0.2.11",
      peers: [{ address: "192.0.2.250", asn: 64512 }],
    });
    expect(c.listen).toEqual({ address: "::", port: 179 });
    expect(c.peers[0]).toMatchObject({
      port: 179,
      holdTime: 90,
      connectRetryTime: 5,
      passive: false,
    });
  });

  it("names the field path of every error", () => {
    const bad = () =>
      parseSpeakerConfig({
        asn: 0,
        routerId: "not-an-ip",
        peers: [{ address: "192.0.2.1", asn: 65001, holdTime: 2 }],
        originate: [{ prefix: "198.51.100.0/33" }],
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (e) {
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(
        expect.arrayContaining(["asn", "routerId", "peers.0.holdTime", "originate.0.prefix"]),
      );
    }
  });
});
