// Originating a table through the speaker's API — `originatePrefixes` (one
// attribute set, compact), `originate` (routes grouped by attributes) and
// `replaceOriginated` (the daemon's reload: only the difference changes
// the Loc-RIB). A real Speaker without a listener or sessions.
import { afterEach, describe, expect, it } from "vitest";
import { parsePrefix } from "../wire/prefix.js";
import { ConfigError } from "./config.js";
import type { BestPathChange } from "./rib-view.js";
import { Speaker } from "./speaker.js";

let speaker: Speaker | undefined;
afterEach(async () => {
  await speaker?.close();
  speaker = undefined;
});

const start = async () => {
  speaker = await Speaker.start({ asn: 64512, routerId: "192.0.2.2", listen: false, peers: [] });
  return speaker;
};
const net = (i: number) => `203.0.113.${i}/32`;

describe("Speaker: originating many routes", () => {
  it("originatePrefixes: one shared attribute set for every prefix; status counts them", async () => {
    const s = await start();
    const list = Array.from({ length: 200 }, (_, i) => net(i));
    s.originatePrefixes(list, { med: 7, communities: ["64512:1"] });
    s.originatePrefixes(["2001:db8:1::/48"]);
    expect(s.originatedCount).toBe(201);
    expect(s.status().originatedCount).toBe(201);
    expect(new Set(s.status().originated)).toEqual(new Set([...list, "2001:db8:1::/48"]));
    expect(s.status({ originated: false }).originated).toEqual([]);
    const [a] = s.routes({ peer: "local", prefix: net(5) });
    const [b] = s.routes({ peer: "local", prefix: net(150) });
    expect(a).toMatchObject({ prefix: net(5), med: 7, communities: ["64512:1"] });
    // the same interned set, not a copy per route
    expect(s.rib.best(parsePrefix(net(5)))?.attrs).toBe(s.rib.best(parsePrefix(net(150)))?.attrs);
    expect(b?.med).toBe(7);
    expect(s.isOriginated(net(5))).toBe(true);
    expect(s.isOriginated("203.0.113.250/32")).toBe(false);
    expect(s.isOriginated("not a prefix")).toBe(false);
  });

  it("a bad prefix or attribute: ConfigError naming it, nothing originated", async () => {
    const s = await start();
    const bad = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues[0]!.path;
      }
      throw new Error("accepted");
    };
    expect(bad(() => s.originatePrefixes([net(1), "203.0.113.1/24"]))).toBe("prefixes.1");
    expect(bad(() => s.originatePrefixes([net(1)], { med: -1 }))).toBe("attributes.med");
    expect(bad(() => s.originate([{ prefix: net(1) }, { prefix: net(2), mde: 1 } as never]))).toBe(
      "1.mde",
    );
    expect(s.originatedCount).toBe(0);
  });

  it("replaceOriginated changes only the difference: a changed route, a removed one, a new one", async () => {
    const s = await start();
    s.originate([
      { prefix: net(1) },
      { prefix: net(2), med: 5 },
      { prefix: net(3) },
      { prefix: "2001:db8:1::/48" },
    ]);
    const seen: BestPathChange[] = [];
    s.subscribe((c) => seen.push(...c));
    expect(
      s.replaceOriginated([
        { prefix: net(1) }, // unchanged
        { prefix: net(2), med: 6 }, // changed
        { prefix: net(4) }, // new
        { prefix: "2001:db8:1::/48" }, // unchanged
      ]),
    ).toEqual({ originated: 2, withdrawn: 1 });
    expect(seen.map((c) => c.prefix).sort()).toEqual([net(2), net(3), net(4)].sort());
    expect(s.routes({ peer: "local", prefix: net(2) })[0]?.med).toBe(6);
    expect(s.isOriginated(net(3))).toBe(false);
    // The same list again: nothing at all.
    seen.length = 0;
    expect(
      s.replaceOriginated([
        { prefix: net(1) },
        { prefix: net(2), med: 6 },
        { prefix: net(4) },
        { prefix: "2001:db8:1::/48" },
      ]),
    ).toEqual({ originated: 0, withdrawn: 0 });
    expect(seen).toEqual([]);
  });

  it("withdraw ignores prefixes not originated and text that is not a prefix", async () => {
    const s = await start();
    s.originatePrefixes([net(1), net(2)]);
    s.withdraw([net(1), net(9), "nonsense"]);
    expect(s.status().originated).toEqual([net(2)]);
  });
});
