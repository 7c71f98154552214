// The speaker's view of the RIB: originated routes in, routes and best-path
// changes out, through a real Rib (a pure core).
import { describe, expect, it } from "vitest";
import { Rib } from "../rib/rib.js";
import { parsePrefix } from "../wire/prefix.js";
import { parseOriginateConfig } from "./config.js";
import { bestPathChange, originatedInit, routeOf } from "./rib-view.js";

const P = parsePrefix("203.0.113.0/26");

describe("rib-view", () => {
  it("an originated route with every attribute reads back as the same route", () => {
    const rib = new Rib({ localAs: 64500, routerId: "192.0.2.2" });
    const cfg = parseOriginateConfig({
      prefix: "203.0.113.0/26",
      origin: "incomplete",
      asPath: [64501, 4200000001],
      med: 7,
      localPref: 300,
      communities: ["64500:1", "no-export"],
      largeCommunities: ["64500:1:2"],
      nextHop: "192.0.2.9",
      rawAttributes: [{ code: 0x63, flags: 0xc0, value: "0102" }],
    });
    const [d] = rib.originate([P], originatedInit(cfg));
    const r = routeOf(d!.prefix, d!.best!, true);
    expect(r).toMatchObject({
      prefix: "203.0.113.0/26",
      peer: "local",
      best: true,
      stale: false,
      origin: "incomplete",
      asPath: [64501, 4200000001],
      med: 7,
      localPref: 300,
      communities: ["64500:1", "65535:65281"],
      largeCommunities: ["64500:1:2"],
      nextHop: "192.0.2.9",
    });
    const raw = r.attributes.find((a) => a.type === "unknown");
    expect(raw).toMatchObject({ code: 0x63, flags: 0xc0 });
  });

  it("best-path changes carry every ECMP next hop with multipath, none when withdrawn", () => {
    const rib = new Rib({ localAs: 64500, routerId: "192.0.2.2", multipath: true });
    for (const [id, nh] of [
      ["192.0.2.1", "192.0.2.1"],
      ["192.0.2.3", "192.0.2.3"],
    ] as const) {
      rib.addPeer({ id, address: id, asn: 64501 });
      rib.announce(id, [P], {
        attributes: [
          { type: "origin", origin: 0 },
          { type: "as-path", segments: [{ type: 2, asns: [64501] }] },
          { type: "next-hop", nextHop: nh },
        ],
      });
    }
    const changes: ReturnType<typeof bestPathChange>[] = [];
    rib.subscribe((ds) => changes.push(...ds.map(bestPathChange)));
    rib.withdraw("192.0.2.3", [P]);
    expect(changes.at(-1)).toMatchObject({ prefix: "203.0.113.0/26", nextHops: ["192.0.2.1"] });
    rib.announce("192.0.2.3", [P], {
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [64501] }] },
        { type: "next-hop", nextHop: "192.0.2.3" },
      ],
    });
    expect([...(changes.at(-1)?.nextHops ?? [])].sort()).toEqual(["192.0.2.1", "192.0.2.3"]);
    rib.withdraw("192.0.2.1", [P]);
    rib.withdraw("192.0.2.3", [P]);
    expect(changes.at(-1)).toEqual({ prefix: "203.0.113.0/26", best: undefined, nextHops: [] });
  });
});
