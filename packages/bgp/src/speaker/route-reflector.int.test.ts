// Tortie as an iBGP route reflector (RFC 4456) for BIRD, FRR and GoBGP
// clients in AS 64500: each client's route reaches the others with the
// client's router id as ORIGINATOR_ID, Tortie's cluster id in CLUSTER_LIST
// and its next hop unchanged (RFC 4456 §8, §10) — checked on the clients.
import { requirePrereqs, startBird, startGobgp, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import {
  birdSession,
  established,
  frrSession,
  lanTopology,
  startTortie,
} from "./interop.fixture.js";

const skip = requirePrereqs(["root", "bird", "frr", "gobgp"]);

const BIRD = "192.0.2.1";
const TORTIE = "192.0.2.2";
const FRR = "192.0.2.3";
const GOBGP = "192.0.2.4";
const CLUSTER = "192.0.2.254";

describe.skipIf(skip)(
  "route reflector: Tortie reflects between BIRD, FRR and GoBGP clients",
  () => {
    const tb = useTestbed();

    it("client routes reach the other clients with ORIGINATOR_ID and CLUSTER_LIST", async () => {
      const topo = await lanTopology(tb, { bird: BIRD, frr: FRR, gobgp: GOBGP, tortie: TORTIE });
      const bird = await birdSession(tb, topo.host("bird"), {
        routerId: BIRD,
        asn: 64500,
        neighbor: TORTIE,
        neighborAs: 64500,
        name: "reflector",
        direct: false,
        originate: ["203.0.113.0/26"],
      });
      const frr = await frrSession(tb, topo.host("frr"), {
        routerId: FRR,
        asn: 64500,
        neighbor: TORTIE,
        neighborAs: 64500,
        originate: ["203.0.113.64/26"],
      });
      const gobgp = tb.track(
        await startGobgp(topo.host("gobgp"), {
          as: 64500,
          routerId: GOBGP,
          neighbors: [{ address: TORTIE, peerAs: 64500 }],
        }),
      );
      const client = { asn: 64500, connectRetryTime: 1, routeReflectorClient: true };
      const tortie = await startTortie(tb, topo, {
        asn: 64500,
        routerId: TORTIE,
        clusterId: CLUSTER,
        peers: [
          // Calico's maxRestartTime: the Restart Time BIRD is told (RFC 4724 §3).
          { address: BIRD, ...client, maxRestartTime: 77 },
          { address: FRR, ...client },
          { address: GOBGP, ...client },
        ],
      });
      await Promise.all([
        bird.waitEstablished("reflector"),
        frr.waitEstablished(TORTIE),
        gobgp.waitEstablished(TORTIE),
        established(tortie, BIRD),
        established(tortie, FRR),
        established(tortie, GOBGP),
      ]);
      await gobgp.announce("203.0.113.128/26");
      const details = await bird.protocolDetails("reflector");
      expect(details.slice(details.indexOf("Neighbor capabilities"))).toMatch(
        /Graceful restart\s+Restart time: 77\s/,
      );

      // BIRD's route at FRR (vtysh JSON).
      type FrrDetail = {
        paths?: {
          originatorId?: string;
          clusterList?: { list?: string[] };
          nexthops?: { ip: string }[];
          aspath?: { string?: string };
        }[];
      };
      const frrPath = (p: string) =>
        frr.bgpd.waitFor(
          async () => (await frr.json<FrrDetail>(`show bgp ipv4 unicast ${p} json`)).paths?.[0],
          { what: `${p} at FRR` },
        );
      const fromBird = await frrPath("203.0.113.0/26");
      expect(fromBird.originatorId).toBe(BIRD);
      expect(fromBird.clusterList?.list).toEqual([CLUSTER]);
      expect(fromBird.nexthops?.[0]?.ip).toBe(BIRD);
      const fromGobgp = await frrPath("203.0.113.128/26");
      expect(fromGobgp.originatorId).toBe(GOBGP);
      expect(fromGobgp.clusterList?.list).toEqual([CLUSTER]);

      // FRR's and GoBGP's routes at BIRD (birdc show route all).
      const birdRoute = (p: string) =>
        bird.waitFor(
          async () => (await bird.routes({ table: "master4" })).find((r) => r.prefix === p),
          { what: `${p} at BIRD` },
        );
      const fromFrr = await birdRoute("203.0.113.64/26");
      expect(fromFrr.attrs["BGP.originator_id"]).toBe(FRR);
      expect(fromFrr.attrs["BGP.cluster_list"]).toBe(CLUSTER);
      expect(fromFrr.attrs["BGP.next_hop"]).toBe(FRR);
      expect(fromFrr.attrs["BGP.as_path"] ?? "").toBe("");
      const gobgpAtBird = await birdRoute("203.0.113.128/26");
      expect(gobgpAtBird.attrs["BGP.originator_id"]).toBe(GOBGP);

      // BIRD's and FRR's routes at GoBGP: ORIGINATOR_ID (type 9), CLUSTER_LIST (type 10).
      const atGobgp = await gobgp.waitFor(async () => {
        const rib = await gobgp.rib("ipv4");
        return rib["203.0.113.0/26"] && rib["203.0.113.64/26"] ? rib : undefined;
      });
      const attrsOf = (p: string) => JSON.stringify(atGobgp[p]?.[0]?.attrs);
      expect(attrsOf("203.0.113.0/26")).toContain(`"type":9,"value":"${BIRD}"`);
      expect(attrsOf("203.0.113.0/26")).toContain(`"type":10,"value":["${CLUSTER}"]`);
      expect(attrsOf("203.0.113.64/26")).toContain(`"type":9,"value":"${FRR}"`);

      // No reflected route goes back to its originator (RFC 4456 §8).
      expect(await bird.routes({ table: "master4" })).not.toContainEqual(
        expect.objectContaining({ prefix: "203.0.113.0/26", protocol: "reflector" }),
      );
      // Withdrawn at the client, withdrawn everywhere.
      await gobgp.withdraw("203.0.113.128/26");
      await frr.bgpd.waitFor(async () =>
        (await frr.routes("ipv4"))["203.0.113.128/26"] ? undefined : true,
      );
      await waitFor(() => !tortie.routes({ prefix: "203.0.113.128/26" }).length);
    });
  },
);

describe.skipIf(skip)("route reflection: Tortie as a client of a BIRD reflector", () => {
  const tb = useTestbed();

  it("learns a reflected route (ORIGINATOR_ID, CLUSTER_LIST) and its own route is reflected to FRR", async () => {
    const topo = await lanTopology(tb, { bird: BIRD, frr: FRR, tortie: TORTIE });
    const rrClient = "  rr client;\n  rr cluster id 192.0.2.253;";
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: BIRD,
        localAs: 64500,
        direct: false,
        peers: [
          { name: "tortie", neighbor: TORTIE, neighborAs: 64500, ipv4: true, extra: rrClient },
          { name: "frr", neighbor: FRR, neighborAs: 64500, ipv4: true, extra: rrClient },
        ],
      }),
    );
    const frr = await frrSession(tb, topo.host("frr"), {
      routerId: FRR,
      asn: 64500,
      neighbor: BIRD,
      neighborAs: 64500,
      originate: ["203.0.113.64/26"],
    });
    const tortie = await startTortie(tb, topo, {
      asn: 64500,
      routerId: TORTIE,
      peers: [{ address: BIRD, asn: 64500, connectRetryTime: 1 }],
      originate: [{ prefix: "198.51.100.0/26" }],
    });
    await Promise.all([
      bird.waitEstablished("tortie"),
      bird.waitEstablished("frr"),
      frr.waitEstablished(BIRD),
      established(tortie, BIRD),
    ]);
    // FRR's route, reflected by BIRD: ORIGINATOR_ID FRR, CLUSTER_LIST BIRD's cluster, next hop FRR.
    const learned = await waitFor(
      () => tortie.routes({ prefix: "203.0.113.64/26", bestOnly: true })[0],
      { what: "FRR's route reflected to Tortie" },
    );
    expect(learned.peer).toBe(BIRD);
    expect(learned.nextHop).toBe(FRR);
    expect(learned.attributes).toContainEqual({ type: "originator-id", originatorId: FRR });
    expect(learned.attributes).toContainEqual(
      expect.objectContaining({ type: "cluster-list", clusterIds: ["192.0.2.253"] }),
    );
    // Tortie's route at FRR through BIRD, originated by Tortie.
    type FrrDetail = { paths?: { originatorId?: string; clusterList?: { list?: string[] } }[] };
    const atFrr = await frr.bgpd.waitFor(
      async () =>
        (await frr.json<FrrDetail>("show bgp ipv4 unicast 198.51.100.0/26 json")).paths?.[0],
      { what: "Tortie's route at FRR" },
    );
    expect(atFrr.originatorId).toBe(TORTIE);
    expect(atFrr.clusterList?.list).toEqual(["192.0.2.253"]);
    // A client does not reflect: FRR's route is not sent back towards BIRD (iBGP split horizon).
    expect(tortie.peer(BIRD)?.prefixes.advertised).toBe(1);
  });
});
