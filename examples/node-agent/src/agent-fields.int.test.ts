// Configuration fields observed on a real peer and in the kernel: one agent
// (node1, labels rack=a) and BIRD with one session per field under test,
// each from its own address.
//
//   one BIRD per session, 192.0.2.1–.6 (203.0.113.1 on prb's lo)   node1 192.0.2.11
//   port   .1:1790  ↔ node1 :1791 (listenPort, bindMode NodeIP, peerIP with port)
//   ttl    .2       ttl security on (GTSM) ↔ BGPPeer ttlSecurity, nodeSelector rack == 'a'
//   ka     .3       ↔ BGPPeer keepaliveTime 10s, node: node1
//   loop   .4       198.18.7.0/24 with our AS in its path ↔ numAllowedLocalASNumbers 1
//   loop0  .5       198.18.8.0/24 with our AS in its path, no allowance
//   rb     203.0.113.1 (multihop) ↔ BGPPeer reachableBy 192.0.2.6
//   port and ka both announce 198.18.9.0/24 alike → one ECMP kernel route
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResourceClient } from "@tortie/api";
import { SqliteStore } from "@tortie/datastore";
import {
  type Bird,
  requirePrereqs,
  startBird,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/agent-config.js";

const skip = requirePrereqs(["root", "netns", "bird"]);
const AS = 64512;
const EXT = 65010;
const NODE = "192.0.2.11";

const COMMON = "connect delay time 1; connect retry time 2; error wait time 1, 5;";
/** 198.18.9.0/24 from two peers with equal attributes: one ECMP route. */
const ECMP = "protocol static secmp { ipv4; route 198.18.9.0/24 blackhole; }";
const STATIC =
  "protocol static s4 { ipv4; route 198.18.7.0/24 blackhole; route 198.18.8.0/24 blackhole; }";
/** One BIRD per session (BIRD keeps one protocol per neighbour address), each in its host. */
const PEERS: { host: string; ip: string; conf: string }[] = [
  {
    // BIRD listens on 1790 (the BGPPeer's peerIP carries the port), connects to our 1791
    host: "pport",
    ip: "192.0.2.1",
    conf: `protocol bgp pport { local 192.0.2.1 port 1790 as ${EXT}; neighbor ${NODE} port 1791 as ${AS}; direct; ${COMMON} ipv4 { import all; export filter { if net = 198.18.9.0/24 then accept; reject; }; }; }\n${ECMP}`,
  },
  {
    host: "pttl",
    ip: "192.0.2.2",
    conf: `protocol bgp pttl { local 192.0.2.2 as ${EXT}; neighbor ${NODE} port 1791 as ${AS}; direct; ttl security on; ${COMMON} ipv4 { import all; export none; }; }`,
  },
  {
    host: "pka",
    ip: "192.0.2.3",
    conf: `protocol bgp pka { local 192.0.2.3 as ${EXT}; neighbor ${NODE} port 1791 as ${AS}; direct; ${COMMON} ipv4 { import all; export filter { if net = 198.18.9.0/24 then accept; reject; }; }; }\n${ECMP}`,
  },
  {
    host: "ploop",
    ip: "192.0.2.4",
    conf: `${STATIC}\nprotocol bgp ploop { local 192.0.2.4 as ${EXT}; neighbor ${NODE} port 1791 as ${AS}; direct; ${COMMON} ipv4 { import none; export filter { if net = 198.18.7.0/24 then { bgp_path.prepend(${AS}); accept; } reject; }; }; }`,
  },
  {
    host: "ploop0",
    ip: "192.0.2.5",
    conf: `${STATIC}\nprotocol bgp ploop0 { local 192.0.2.5 as ${EXT}; neighbor ${NODE} port 1791 as ${AS}; direct; ${COMMON} ipv4 { import none; export filter { if net = 198.18.8.0/24 then { bgp_path.prepend(${AS}); accept; } reject; }; }; }`,
  },
  {
    // reached only through the reachableBy gateway (its address is on lo)
    host: "prb",
    ip: "192.0.2.6",
    conf: `protocol bgp prb { local 203.0.113.1 as ${AS}; neighbor ${NODE} port 1791 as ${AS}; multihop 2; ${COMMON} ipv4 { import all; export none; }; }`,
  },
];
const birdConf = (p: (typeof PEERS)[number]) =>
  [`router id ${p.ip};`, "log stderr all;", "protocol device { scan time 10; }", p.conf, ""].join(
    "\n",
  );

describe.skipIf(skip)("tortie-node: BGP configuration fields against BIRD", () => {
  const tb = useTestbed();
  let topo: Topology;
  const birds = new Map<string, Bird>();
  const bird = (name: string) => birds.get(name)!;
  let agent: Agent;
  let client: ResourceClient;
  const apply = (kind: string, name: string, spec: object) =>
    client.apply({ apiVersion: "projectcalico.org/v3", kind, metadata: { name }, spec });

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), "tortie-node-fields-"));
    tb.defer(() => rmSync(work, { recursive: true, force: true }));
    topo = await tb.topology({
      hosts: [...PEERS.map((p) => p.host), "node1"],
      segments: {
        lan: {
          members: {
            ...Object.fromEntries(PEERS.map((p) => [p.host, [`${p.ip}/24`]])),
            node1: [`${NODE}/24`],
          },
        },
      },
    });
    await topo.host("prb").ip(["addr", "add", "203.0.113.1/32", "dev", "lo"]);
    for (const p of PEERS)
      birds.set(p.host, tb.track(await startBird(topo.host(p.host), birdConf(p))));
    const store = new SqliteStore({ path: join(work, "store.db") });
    tb.defer(() => store.close());
    client = new ResourceClient(store);
    await apply("BGPConfiguration", "default", {
      asNumber: AS,
      listenPort: 1791,
      bindMode: "NodeIP",
      serviceClusterIPs: [{ cidr: "198.51.100.0/26" }],
      serviceExternalIPs: [{ cidr: "198.51.100.64/26" }],
      serviceLoadBalancerIPs: [{ cidr: "198.51.100.128/26" }],
    });
    await apply("BGPPeer", "port", { peerIP: "192.0.2.1:1790", asNumber: EXT });
    await apply("BGPPeer", "ttl", {
      nodeSelector: "rack == 'a'",
      peerIP: "192.0.2.2",
      asNumber: EXT,
      ttlSecurity: 1,
    });
    await apply("BGPPeer", "not-my-rack", {
      nodeSelector: "rack == 'b'",
      peerIP: "192.0.2.9",
      asNumber: EXT,
    });
    await apply("BGPPeer", "ka", {
      node: "node1",
      peerIP: "192.0.2.3",
      asNumber: EXT,
      keepaliveTime: "10s",
    });
    await apply("BGPPeer", "loop", {
      peerIP: "192.0.2.4",
      asNumber: EXT,
      numAllowedLocalASNumbers: 1,
    });
    await apply("BGPPeer", "loop0", { peerIP: "192.0.2.5", asNumber: EXT });
    await apply("BGPPeer", "rb", { peerIP: "203.0.113.1", asNumber: AS, reachableBy: "192.0.2.6" });
    agent = await Agent.start({
      config: loadAgentConfig(
        { IP: `${NODE}/24`, AS: String(AS), NODENAME: "node1" },
        [
          "--datastore-path",
          join(work, "store.db"),
          "--health-listen",
          "",
          "--control-socket",
          "",
          "--labels",
          "rack=a",
        ],
        "unused",
      ),
      netns: topo.host("node1").nsPath,
      logger: pino({ level: process.env.TORTIE_TEST_LOG ?? "silent" }),
      connectRetryTime: 1,
      policy: false,
    });
    tb.defer(() => agent.stop());
  }, 120_000);

  it("listenPort + bindMode NodeIP + peerIP with a port; ttlSecurity (GTSM); keepaliveTime; nodeSelector and node", async () => {
    for (const p of ["pport", "pttl", "pka"])
      await bird(p).waitEstablished(p, { timeoutMs: 60_000 });
    const s = agent.bgp.speaker!.status();
    expect(s.listen).toEqual({ address: NODE, port: 1791 });
    expect(s.peers.map((p) => p.address).sort()).not.toContain("192.0.2.9");
    expect(await bird("pka").protocolDetails("pka")).toMatch(/Hold timer:\s+[\d.]+\/30/);
    expect(await bird("pttl").protocolDetails("pttl")).toMatch(/Established/);
  });

  it("numAllowedLocalASNumbers: a path with our AS is installed only from the peer that allows it", async () => {
    await bird("ploop").waitEstablished("ploop", { timeoutMs: 60_000 });
    await bird("ploop0").waitEstablished("ploop0", { timeoutMs: 60_000 });
    const h = topo.host("node1");
    await waitFor(
      async () =>
        (await h.ipJson<{ gateway?: string }[]>(["route", "show", "198.18.7.0/24"]))[0]?.gateway ===
        "192.0.2.4",
      {
        what: "198.18.7.0/24 via the allowing peer",
      },
    );
    // the loop is refused by the speaker's RIB (RFC 4271 §9.1.2) and never reaches the kernel
    expect(agent.bgp.speaker!.routes({ prefix: "198.18.7.0/24" })).toHaveLength(1);
    expect(agent.bgp.speaker!.routes({ prefix: "198.18.8.0/24" })).toEqual([]);
    expect(await h.ipJson(["route", "show", "198.18.8.0/24"])).toEqual([]);
  });

  it("equal routes from two peers become one ECMP route via both next hops", async () => {
    const h = topo.host("node1");
    const r = await waitFor(
      async () => {
        const got = (
          await h.ipJson<{ nexthops?: { gateway: string }[] }[]>(["route", "show", "198.18.9.0/24"])
        )[0];
        return got?.nexthops?.length === 2 ? got : undefined;
      },
      { what: "198.18.9.0/24 with two next hops", timeoutMs: 30_000 },
    );
    expect(r.nexthops!.map((n) => n.gateway).sort()).toEqual(["192.0.2.1", "192.0.2.3"]);
  });

  it("reachableBy: a host route to the peer through the gateway, and the multihop session over it", async () => {
    const h = topo.host("node1");
    const r = await h.ipJson<{ gateway?: string; protocol?: string }[]>([
      "route",
      "show",
      "203.0.113.1",
    ]);
    expect(r[0]).toMatchObject({ gateway: "192.0.2.6" });
    await bird("prb").waitEstablished("prb", { timeoutMs: 60_000 });
  });

  it("service cluster, external and load-balancer CIDRs are announced", async () => {
    await waitFor(
      async () => {
        const got = new Set(
          (await bird("pport").routes({ protocol: "pport" })).map((r) => r.prefix),
        );
        return ["198.51.100.0/26", "198.51.100.64/26", "198.51.100.128/26"].every((p) =>
          got.has(p),
        );
      },
      { what: "service CIDRs at BIRD" },
    );
  });
});
