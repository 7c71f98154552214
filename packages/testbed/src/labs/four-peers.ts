// The four-implementation lab: BIRD, FRR, GoBGP and ExaBGP exchanging IPv4 and
// IPv6 routes over iBGP and eBGP, with a stub host behind BIRD and one behind
// FRR so that a ping crosses routes learned over BGP.
//
//   sa ── bird(AS65001) ══iBGP══ frr(AS65001) ── sb
//   198.51.100.0/30  │  192.0.2.0/24 LAN  │   203.0.113.0/30
//                 eBGP│                   │eBGP
//            gobgp(AS65002)         exabgp(AS65003)
import { type Bird, startBird } from "../daemons/bird.js";
import { type Exabgp, startExabgp } from "../daemons/exabgp.js";
import { type Frr, startFrr } from "../daemons/frr.js";
import { type Gobgp, startGobgp } from "../daemons/gobgp.js";
import { createTopology, type Host, type Topology } from "../topology.js";
import { waitFor } from "../wait.js";

/** The running lab. */
export interface FourPeerLab {
  readonly topo: Topology;
  readonly bird: Bird;
  readonly frr: Frr;
  readonly gobgp: Gobgp;
  readonly exa: Exabgp;
  /** Stops every daemon and removes every namespace. */
  stop(): Promise<void>;
}

/**
 * Builds the topology and starts the four daemons, waiting until all six
 * sessions are Established. `track` is told of each daemon as soon as it
 * starts (so a test can print their logs if a later step fails).
 */
export async function startFourPeerLab(
  track: (d: Bird | Frr | Gobgp | Exabgp) => void = () => {},
): Promise<FourPeerLab> {
  const topo = await createTopology({
    hosts: ["bird", "frr", "gobgp", "exa", "sa", "sb"],
    segments: {
      lan: {
        members: {
          bird: ["192.0.2.1/24", "2001:db8::1/64"],
          frr: ["192.0.2.2/24", "2001:db8::2/64"],
          gobgp: ["192.0.2.3/24", "2001:db8::3/64"],
          exa: ["192.0.2.4/24"],
        },
      },
    },
    links: [
      {
        a: { host: "bird", addrs: ["198.51.100.1/30"] },
        b: { host: "sa", addrs: ["198.51.100.2/30"] },
      },
      {
        a: { host: "frr", addrs: ["203.0.113.1/30"] },
        b: { host: "sb", addrs: ["203.0.113.2/30"] },
      },
    ],
    routes: [
      { host: "sa", to: "default", via: "198.51.100.1" },
      { host: "sb", to: "default", via: "203.0.113.1" },
    ],
  });
  const started: { stop(): Promise<void> }[] = [];
  const keep = <T extends Bird | Frr | Gobgp | Exabgp>(d: T): T => {
    started.push(d);
    track(d);
    return d;
  };
  const stop = async () => {
    for (const d of started.reverse()) await d.stop();
    await topo.destroy();
  };
  try {
    const [bird, frr, gobgp, exa] = await Promise.all([
      startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        kernel: true,
        static4: ["198.51.100.64/26"],
        static6: ["2001:db8:b::/48"],
        peers: [
          { name: "frr4", neighbor: "192.0.2.2", neighborAs: 65001, ipv4: true },
          { name: "frr6", neighbor: "2001:db8::2", neighborAs: 65001, ipv6: true },
          { name: "gobgp4", neighbor: "192.0.2.3", neighborAs: 65002, ipv4: true },
          { name: "gobgp6", neighbor: "2001:db8::3", neighborAs: 65002, ipv6: true },
        ],
      }).then(keep),
      startFrr(topo.host("frr"), {
        as: 65001,
        routerId: "192.0.2.2",
        neighbors: [
          { address: "192.0.2.1", remoteAs: 65001 },
          { address: "2001:db8::1", remoteAs: 65001 },
          { address: "192.0.2.4", remoteAs: 65003 },
        ],
        networks4: ["203.0.113.0/30"],
        networks6: ["2001:db8:f::/48"],
      }).then(keep),
      startGobgp(topo.host("gobgp"), {
        as: 65002,
        routerId: "192.0.2.3",
        neighbors: [
          { address: "192.0.2.1", peerAs: 65001 },
          { address: "2001:db8::1", peerAs: 65001 },
        ],
      }).then(keep),
      startExabgp(topo.host("exa"), {
        routerId: "192.0.2.4",
        localAddress: "192.0.2.4",
        localAs: 65003,
        neighbor: "192.0.2.2",
        peerAs: 65001,
        routes: ["203.0.113.128/26 next-hop 192.0.2.4 community [65003:7]"],
      }).then(keep),
    ]);
    await Promise.all([
      bird.waitEstablished("frr4"),
      bird.waitEstablished("frr6"),
      bird.waitEstablished("gobgp4"),
      bird.waitEstablished("gobgp6"),
      frr.waitEstablished("192.0.2.4"),
      exa.waitUp(),
    ]);
    await gobgp.announce("203.0.113.64/26");
    await gobgp.announce("2001:db8:9::/48");
    return { topo, bird, frr, gobgp, exa, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits for `prefix` in the host's main table; returns `ip -json route` of it. */
export function kernelRoute(h: Host, prefix: string): Promise<{ dst: string; protocol: string }> {
  return waitFor(
    async () => (await h.ipJson<{ dst: string; protocol: string }[]>(["route", "show", prefix]))[0],
    { what: `${prefix} in ${h.name}'s kernel table` },
  );
}
