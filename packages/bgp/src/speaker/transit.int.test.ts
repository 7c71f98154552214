// Tortie as a transit hop between real eBGP peers: BIRD (AS 64501) and a
// 2-octet-only ExaBGP (AS 64503) on one side, FRR (AS 64502) on the other.
// What the peers receive is checked on the peers themselves: AS paths with
// Tortie's AS prepended (RFC 4271 §5.1.2), next hop rewritten to Tortie
// or kept for a peer on the same subnet (§5.1.3), a route carrying Tortie's AS rejected as a loop (§9.1.2), an
// unknown optional transitive attribute passed on with the Partial bit
// (§5, §9.1.4), AS4_PATH for the 2-octet peer (RFC 6793 §4.2.2), and a
// BGPFilter export rule honoured per peer — and lifted again without a reset
// (route refresh on policy change). A second test puts BIRD in Tortie's place
// and checks that the peers receive exactly the same from both.
import { requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { established, startTortie } from "./interop.fixture.js";
import { trackedRawSession } from "./raw-peer.fixture.js";
import { BIRD, EXA, FRR, RAW, TORTIE_A, TORTIE_B, transitPeers } from "./transit.fixture.js";

const skip = requirePrereqs(["root", "bird", "frr", "exabgp"]);

describe.skipIf(skip)("transit: BIRD and a 2-octet ExaBGP — Tortie (AS 64500) — FRR", () => {
  const tb = useTestbed();

  it("passes routes on as BIRD does: AS paths, next hop, loops, unknown attributes, AS4, export filters", async () => {
    const { topo, bird, exa, frr } = await transitPeers(tb, "tortie");
    const warnings: string[] = [];
    const tortie = await startTortie(tb, topo, {
      asn: 64500,
      peers: [
        {
          address: BIRD,
          asn: 64501,
          connectRetryTime: 1,
          exportFilters: [
            {
              metadata: { name: "no-frr-64" },
              spec: {
                exportV4: [{ cidr: "203.0.113.64/26", matchOperator: "Equal", action: "Reject" }],
              },
            },
          ],
        },
        { address: EXA, asn: 64503, connectRetryTime: 1 },
        { address: FRR, asn: 64502, connectRetryTime: 1 },
        { address: RAW, asn: 64505, passive: true },
      ],
      originate: [{ prefix: "198.51.100.128/26" }],
    });
    tortie.on("warning", (e) => warnings.push(e.message));
    await Promise.all([
      bird.waitEstablished("tortie"),
      exa.waitUp(),
      frr.waitEstablished(TORTIE_B),
      established(tortie, BIRD),
      established(tortie, EXA),
      established(tortie, FRR),
    ]);
    expect(tortie.peer(EXA)?.session?.fourOctetAs).toBe(false);

    // BIRD → Tortie → FRR: Tortie's AS first, next hop Tortie's address on FRR's link.
    const frrRoute = async (p: string) => (await frr.routes("ipv4"))[p]?.[0];
    const atFrr = await frr.bgpd.waitFor(() => frrRoute("203.0.113.0/26"), {
      what: "BIRD's route at FRR",
    });
    expect(atFrr.path).toBe("64500 64501");
    expect(atFrr.nexthops?.[0]?.ip).toBe(TORTIE_B);
    // A 4-octet AS in the path reaches the 4-octet FRR as is.
    const as4AtFrr = await frr.bgpd.waitFor(() => frrRoute("198.51.100.0/26"));
    expect(as4AtFrr.path).toBe("64500 64501 4200000009");

    // FRR → Tortie → BIRD, the other way.
    const birdRoute = async (p: string) =>
      (await bird.routes({ table: "master4" })).find(
        (r) => r.prefix === p && r.protocol === "tortie",
      );
    const atBird = await bird.waitFor(() => birdRoute("203.0.113.128/26"), {
      what: "ExaBGP's route at BIRD",
    });
    expect(atBird.attrs["BGP.as_path"]).toBe("64500 64503");
    // ExaBGP and BIRD share a subnet: the next hop is passed on unchanged
    // (third-party next hop, RFC 4271 §5.1.3 (2)), as BIRD does.
    expect(atBird.attrs["BGP.next_hop"]).toBe(EXA);

    // The unknown optional transitive attribute went on, with the Partial bit
    // set (RFC 4271 §5: a speaker that does not recognise it sets Partial).
    const atFrrUnknown = await frr.bgpd.waitFor(() => frrRoute("203.0.113.128/26"));
    expect(atFrrUnknown.path).toBe("64500 64503");
    // BIRD shows an unknown attribute by its hex code, [t] for transitive.
    const detail = await bird.birdc("show route 203.0.113.128/26 all");
    expect(detail).toContain("BGP.63 [t]: 01 02 03 04");
    // BIRD does not show the Partial flag: a plain BGP connection on FRR's
    // link reads the attribute's flag octet as sent.
    const raw = await trackedRawSession(tb, {
      nsPath: topo.host("frr").nsPath,
      remoteAddress: TORTIE_B,
      localAddress: RAW,
      kind: "4-octet",
      asn: 64505,
    });
    const update = await raw.waitFor(
      (m) => m.type === "update" && m.nlri.some((p) => p.bytes[0] === 203 && p.bytes[3] === 128),
      "the route with the unknown attribute",
    );
    const unknown =
      update.type === "update" ? update.attributes.find((a) => a.type === "unknown") : undefined;
    expect(unknown).toMatchObject({ code: 0x63 });
    expect([...(unknown as { value: Uint8Array }).value]).toEqual([1, 2, 3, 4]);
    // Optional, transitive, Partial (RFC 4271 §4.3: 0x80 | 0x40 | 0x20).
    expect((unknown as { flags: number }).flags & 0xe0).toBe(0xe0);

    // The route with Tortie's AS in its path is a loop: treated as withdrawn,
    // logged, and never passed on (RFC 4271 §9.1.2).
    await waitFor(() => warnings.some((w) => w.includes("AS_PATH contains our AS 64500")), {
      what: "loop warning",
    });
    expect(tortie.routes(BIRD).map((r) => r.prefix)).not.toContain("203.0.113.192/26");
    expect(await frrRoute("203.0.113.192/26")).toBeUndefined();

    // The 2-octet ExaBGP: AS_TRANS in AS_PATH and the real path in AS4_PATH
    // (RFC 6793 §4.2.2), which ExaBGP merges back (§4.2.3).
    const atExa = await exa.waitFor(() => exa.received().get("198.51.100.0/26"));
    expect(atExa["as-path"]).toEqual([64500, 64501, 4200000009]);
    expect(atExa["next-hop"]).toBe(BIRD); // same subnet as ExaBGP: third-party next hop
    const frrAtExa = await exa.waitFor(() => exa.received().get("203.0.113.64/26"));
    expect(frrAtExa["as-path"]).toEqual([64500, 64502]);

    // Export filter: FRR's 203.0.113.64/26 is rejected towards BIRD only.
    const own = await bird.waitFor(() => birdRoute("198.51.100.128/26"));
    expect(own.attrs["BGP.as_path"]).toBe("64500");
    expect(await birdRoute("203.0.113.64/26")).toBeUndefined();
    // Lifted at run time: only the difference is sent, without a session reset.
    const flaps = tortie.peer(BIRD)?.flaps;
    tortie.setPeerFilters(BIRD, { exportFilters: [] });
    const lifted = await bird.waitFor(() => birdRoute("203.0.113.64/26"), {
      what: "the filtered route at BIRD after the filter is lifted",
    });
    expect(lifted.attrs["BGP.as_path"]).toBe("64500 64502");
    expect(tortie.peer(BIRD)?.flaps).toBe(flaps);
    expect(tortie.peer(BIRD)?.state).toBe("Established");
  });
});

/** What the peers around a transit hop received from it. */
interface Seen {
  frr: Record<string, { path?: string; nextHop?: string } | null>;
  feeder: Record<string, { asPath?: string; nextHop?: string } | null>;
  unknownAtFeeder: string | undefined;
  exa: Record<string, { asPath: unknown; nextHop: unknown } | null>;
  unknownFlags: number | undefined;
}

describe.skipIf(skip)("transit: Tortie and BIRD in the same position", () => {
  const tb = useTestbed();

  /** Builds the transit topology with `middle` (Tortie or BIRD, AS 64500) between the peers. */
  async function observe(middle: "tortie" | "bird"): Promise<Seen> {
    const { topo, bird: feeder, exa, frr } = await transitPeers(tb, "mid", { birdDirect: false });
    if (middle === "tortie") {
      const t = await startTortie(tb, topo.host("mid"), {
        asn: 64500,
        peers: [
          { address: BIRD, asn: 64501, connectRetryTime: 1 },
          { address: EXA, asn: 64503, connectRetryTime: 1 },
          { address: FRR, asn: 64502, connectRetryTime: 1 },
          { address: RAW, asn: 64505, passive: true },
        ],
      });
      await Promise.all([BIRD, EXA, FRR].map((p) => established(t, p)));
    } else {
      const b = tb.track(
        await startBird(topo.host("mid"), {
          routerId: TORTIE_A,
          localAs: 64500,
          direct: false,
          peers: [
            { name: "feeder", neighbor: BIRD, neighborAs: 64501, ipv4: true },
            { name: "exa", neighbor: EXA, neighborAs: 64503, ipv4: true },
            { name: "frr", neighbor: FRR, neighborAs: 64502, ipv4: true },
            { name: "raw", neighbor: RAW, neighborAs: 64505, passive: true, ipv4: true },
          ],
        }),
      );
      await Promise.all(["feeder", "exa", "frr"].map((p) => b.waitEstablished(p)));
    }
    await Promise.all([feeder.waitEstablished("mid"), exa.waitUp(), frr.waitEstablished(TORTIE_B)]);
    const raw = await trackedRawSession(tb, {
      nsPath: topo.host("frr").nsPath,
      remoteAddress: TORTIE_B,
      localAddress: RAW,
      kind: "4-octet",
      asn: 64505,
    });

    // Everything has arrived once FRR holds the three transit routes and the
    // feeder and ExaBGP hold theirs; then a moment for anything more.
    const frrRoutes = () => frr.routes("ipv4");
    await frr.bgpd.waitFor(async () => {
      const r = await frrRoutes();
      return r["203.0.113.0/26"] && r["198.51.100.0/26"] && r["203.0.113.128/26"];
    });
    await feeder.waitFor(async () =>
      (await feeder.routes({ table: "master4" })).some((r) => r.prefix === "203.0.113.64/26"),
    );
    await exa.waitFor(
      () => exa.received().get("198.51.100.0/26") && exa.received().get("203.0.113.64/26"),
    );
    const update = await raw.waitFor(
      (m) => m.type === "update" && m.nlri.some((p) => p.bytes[0] === 203 && p.bytes[3] === 128),
      "the route with the unknown attribute",
    );
    await new Promise((r) => setTimeout(r, 1_000));

    const atFrr = await frrRoutes();
    const frrView = (p: string) => {
      const x = atFrr[p]?.[0];
      return x ? { path: x.path, nextHop: x.nexthops?.[0]?.ip } : null;
    };
    const atFeeder = await feeder.routes({ table: "master4" });
    const feederView = (p: string) => {
      const x = atFeeder.find((r) => r.prefix === p && r.protocol === "mid");
      return x ? { asPath: x.attrs["BGP.as_path"], nextHop: x.attrs["BGP.next_hop"] } : null;
    };
    const detail = await feeder.birdc("show route 203.0.113.128/26 all");
    const exaView = (p: string) => {
      const x = exa.received().get(p);
      return x ? { asPath: x["as-path"], nextHop: x["next-hop"] } : null;
    };
    const unknown =
      update.type === "update" ? update.attributes.find((a) => a.type === "unknown") : undefined;
    return {
      frr: Object.fromEntries(
        ["203.0.113.0/26", "198.51.100.0/26", "203.0.113.128/26", "203.0.113.192/26"].map((p) => [
          p,
          frrView(p),
        ]),
      ),
      feeder: Object.fromEntries(
        ["203.0.113.64/26", "203.0.113.128/26"].map((p) => [p, feederView(p)]),
      ),
      unknownAtFeeder: /BGP\.63[^\n]*/.exec(detail)?.[0],
      exa: Object.fromEntries(
        ["198.51.100.0/26", "203.0.113.64/26", "203.0.113.128/26"].map((p) => [p, exaView(p)]),
      ),
      unknownFlags: (unknown as { flags?: number } | undefined)?.flags,
    };
  }

  it("the peers receive the same from Tortie as from BIRD", async () => {
    const bird = await observe("bird");
    const tortie = await observe("tortie");
    expect(tortie).toEqual(bird);
    // And what that is (so that a change on both sides is noticed too).
    expect(bird.frr["203.0.113.0/26"]).toEqual({ path: "64500 64501", nextHop: TORTIE_B });
    expect(bird.frr["203.0.113.192/26"]).toBeNull();
    expect(bird.exa["198.51.100.0/26"]?.asPath).toEqual([64500, 64501, 4200000009]);
    expect((bird.unknownFlags ?? 0) & 0xe0).toBe(0xe0);
  });
});
