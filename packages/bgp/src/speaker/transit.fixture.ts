// The transit topology of transit.int.test.ts: BIRD (AS 64501) and a
// 2-octet-only ExaBGP (AS 64503) on segment "a", FRR (AS 64502) and a
// hand-driven peer's address on segment "b", and the middle host on both —
// Tortie or, for the side-by-side test, BIRD — as AS 64500.
import { type SuiteTestbed, startExabgp, type Topology } from "@tortie/testbed";
import { birdSession, frrSession } from "./interop.fixture.js";

export const BIRD = "192.0.2.1";
/** The middle host's address on segment "a" (BIRD, ExaBGP). */
export const TORTIE_A = "192.0.2.2";
export const EXA = "192.0.2.3";
export const FRR = "192.0.2.65";
/** The middle host's address on segment "b" (FRR, the hand-driven peer). */
export const TORTIE_B = "192.0.2.66";
/** A hand-driven BGP peer's address in FRR's host. */
export const RAW = "192.0.2.67";
/** The middle's AS. */
export const MIDDLE_AS = 64500;

/**
 * Builds the topology with `mid` as the middle host's name and starts the
 * three outer peers. BIRD's session towards the middle is protocol `mid`
 * and announces 203.0.113.0/26, 203.0.113.192/26 with the middle's AS in
 * its path (a loop there) and 198.51.100.0/26 with a 4-octet AS; ExaBGP
 * (no 4-octet AS) announces 203.0.113.128/26 with an unknown optional
 * transitive attribute (99, flags 0xc0) and BIRD's address as next hop;
 * FRR announces 203.0.113.64/26.
 */
export async function transitPeers(
  tb: SuiteTestbed,
  mid: string,
  opts: { readonly birdDirect?: boolean } = {},
) {
  const topo: Topology = await tb.topology({
    hosts: ["bird", "exa", "frr", mid],
    segments: {
      a: { members: { bird: [`${BIRD}/26`], exa: [`${EXA}/26`], [mid]: [`${TORTIE_A}/26`] } },
      b: { members: { frr: [`${FRR}/26`, `${RAW}/26`], [mid]: [`${TORTIE_B}/26`] } },
    },
  });
  const bird = await birdSession(tb, topo.host("bird"), {
    routerId: BIRD,
    asn: 64501,
    neighbor: TORTIE_A,
    neighborAs: MIDDLE_AS,
    name: mid,
    ...(opts.birdDirect === false ? { direct: false } : {}),
    originate: ["203.0.113.0/26", "203.0.113.192/26", "198.51.100.0/26"],
    session: {
      ipv4: {
        // One route already carries the middle's AS (a loop there), one a 4-octet AS.
        export:
          "filter { if net = 203.0.113.192/26 then bgp_path.prepend(64500); if net = 198.51.100.0/26 then bgp_path.prepend(4200000009); accept; }",
      },
    },
  });
  const exa = tb.track(
    await startExabgp(topo.host("exa"), {
      routerId: EXA,
      localAddress: EXA,
      localAs: 64503,
      neighbor: TORTIE_A,
      peerAs: MIDDLE_AS,
      capability: ["asn4 disable;"],
      // Attribute 99, flags 0xc0: optional transitive, unknown to everyone here.
      routes: ["203.0.113.128/26 next-hop 192.0.2.3 attribute [ 0x63 0xc0 0x01020304 ]"],
    }),
  );
  const frr = await frrSession(tb, topo.host("frr"), {
    routerId: FRR,
    asn: 64502,
    neighbor: TORTIE_B,
    neighborAs: MIDDLE_AS,
    originate: ["203.0.113.64/26"],
  });
  return { topo, bird, exa, frr };
}
