import { describe, expect, it } from "vitest";
import { parseSpeakerConfig } from "../speaker/config.js";
import { planReload } from "./reload.js";

const base = {
  asn: 64512,
  routerId: "192.0.2.2",
  peers: [
    { address: "192.0.2.1", asn: 64512 },
    { address: "192.0.2.3", asn: 64512 },
    { address: "192.0.2.4", asn: 64512 },
  ],
  originate: [{ prefix: "203.0.113.0/26" }, { prefix: "203.0.113.64/26", med: 5 }],
};

describe("tortie-bgp reload plan", () => {
  it("the same file changes nothing, whatever the key order", () => {
    const a = parseSpeakerConfig(base);
    const b = parseSpeakerConfig({
      ...base,
      peers: base.peers.map((p) => ({ asn: p.asn, address: p.address })),
    });
    expect(planReload(a, b)).toEqual({
      addPeers: [],
      removePeers: [],
      replacePeers: [],
      unchangedPeers: ["192.0.2.1", "192.0.2.3", "192.0.2.4"],
      needsRestart: [],
    });
  });

  it("only what changed: one peer changed, one removed, one added (routes: Speaker.replaceOriginated)", () => {
    const a = parseSpeakerConfig(base);
    const b = parseSpeakerConfig({
      ...base,
      peers: [
        { address: "192.0.2.1", asn: 64512 },
        { address: "192.0.2.3", asn: 64512, holdTime: 30 },
        { address: "192.0.2.5", asn: 64512 },
      ],
      originate: [{ prefix: "203.0.113.64/26", med: 6 }, { prefix: "203.0.113.128/26" }],
    });
    const p = planReload(a, b);
    expect(p.unchangedPeers).toEqual(["192.0.2.1"]);
    expect(p.replacePeers.map((x) => x.address)).toEqual(["192.0.2.3"]);
    expect(p.removePeers).toEqual(["192.0.2.4"]);
    expect(p.addPeers.map((x) => x.address)).toEqual(["192.0.2.5"]);
    expect(p.needsRestart).toEqual([]);
  });

  it("speaker-wide changes are named for a restart", () => {
    const a = parseSpeakerConfig(base);
    const b = parseSpeakerConfig({ ...base, asn: 64513, listen: { port: 1179 } });
    expect(planReload(a, b).needsRestart).toEqual(["asn", "listen"]);
  });
});
