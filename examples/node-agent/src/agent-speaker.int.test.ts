// Route policy carried out by the speaker, observed on real peers: node1 is
// a Tortie route reflector (Node routeReflectorClusterID) for node2 (an
// agent, by BGPPeer selectors) and for BIRD (c1); FRR (ext, AS 65030) is an
// external router on node1's uplink with a BGPFilter, keepOriginalNextHop
// and maxRestartTime on its BGPPeer.
//
//   c1 192.0.2.21 (BIRD, RR client)                  ext 203.0.113.30 (FRR, AS 65030)
//      │ 192.0.2.0/24                                    │ 203.0.113.0/24
//   node1 .11 (RR, cluster 224.0.0.1) ──────────────────┘ node1 203.0.113.11
//   node2 .12 (client)
//
// Blocks (claimed through @tortie/ipam): node1 198.51.100.0/26, node2
// 198.51.100.64/26 and .128/26; c1 announces 198.51.100.192/26 (in the pool)
// and 198.18.30.0/24 (in no pool).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResourceClient } from "@tortie/api";
import { SqliteStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import {
  type Bird,
  type Frr,
  requirePrereqs,
  startBird,
  startFrr,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/agent-config.js";

const skip = requirePrereqs(["root", "netns", "bird", "frr"]);
const AS = 64512;
const EXT_AS = 65030;
const EXT = "203.0.113.30";
const C1 = "192.0.2.21";
const CLUSTER = "224.0.0.1";
const NODES = [
  { name: "node1", ip: "192.0.2.11", labels: "route-reflector=true" },
  { name: "node2", ip: "192.0.2.12", labels: "rack=a" },
] as const;
const v3 = "projectcalico.org/v3";

function c1Config(): string {
  return [
    `router id ${C1};`,
    "log stderr all;",
    "protocol device { scan time 10; }",
    "protocol static s4 { ipv4; route 198.51.100.192/26 blackhole; route 198.18.30.0/24 blackhole; }",
    `protocol bgp refl { local ${C1} as ${AS}; neighbor ${NODES[0].ip} as ${AS}; direct;`,
    "  connect delay time 1; connect retry time 2; error wait time 1, 5;",
    '  ipv4 { import all; export where proto = "s4"; }; }',
    "",
  ].join("\n");
}

function extConfig(): string {
  return [
    "frr defaults traditional",
    "log stdout informational",
    `router bgp ${EXT_AS}`,
    ` bgp router-id ${EXT}`,
    " no bgp ebgp-requires-policy",
    ` neighbor 203.0.113.11 remote-as ${AS}`,
    " neighbor 203.0.113.11 timers connect 1",
    " neighbor 203.0.113.11 graceful-restart",
    "",
  ].join("\n");
}

describe.skipIf(skip)(
  "tortie-node: route reflector, export filters, next hop, restart time",
  () => {
    const tb = useTestbed();
    let topo: Topology;
    let c1: Bird;
    let ext: Frr;
    let client: ResourceClient;
    const agents = new Map<string, Agent>();
    const agent = (n: string) => agents.get(n)!;
    const apply = (kind: string, name: string, spec: object) =>
      client.apply({ apiVersion: v3, kind, metadata: { name }, spec });
    const extPeer = {
      node: "node1",
      peerIP: EXT,
      asNumber: EXT_AS,
      filters: ["to-ext"],
      maxRestartTime: "45s",
    };
    const extRoutes = () => ext.routes("ipv4");

    beforeAll(async () => {
      const work = mkdtempSync(join(tmpdir(), "tortie-node-speaker-"));
      tb.defer(() => rmSync(work, { recursive: true, force: true }));
      topo = await tb.topology({
        hosts: ["c1", "ext", ...NODES.map((n) => n.name)],
        segments: {
          nodes: {
            members: {
              c1: [`${C1}/24`],
              ...Object.fromEntries(NODES.map((n) => [n.name, [`${n.ip}/24`]])),
            },
          },
          uplink: { members: { node1: ["203.0.113.11/24"], ext: [`${EXT}/24`] } },
        },
        routes: [{ host: "ext", to: "192.0.2.0/24", via: "203.0.113.11" }],
      });
      c1 = tb.track(await startBird(topo.host("c1"), c1Config()));
      ext = tb.track(await startFrr(topo.host("ext"), extConfig()));
      const store = new SqliteStore({ path: join(work, "store.db") });
      tb.defer(() => store.close());
      client = new ResourceClient(store);
      await apply("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 26 });
      // node1 is a route reflector: its Node carries the cluster ID (registration keeps it)
      await client.apply({
        apiVersion: v3,
        kind: "Node",
        metadata: { name: "node1", labels: { "route-reflector": "true" } },
        spec: { bgp: { ipv4Address: `${NODES[0].ip}/24`, routeReflectorClusterID: CLUSTER } },
      });
      await apply("BGPPeer", "to-rr", {
        nodeSelector: "!has(route-reflector)",
        peerSelector: "has(route-reflector)",
      });
      await apply("BGPPeer", "c1", { node: "node1", peerIP: C1, asNumber: AS });
      await apply("BGPFilter", "to-ext", {
        exportV4: [{ action: "Reject", matchOperator: "Equal", cidr: "198.51.100.64/26" }],
      });
      await apply("BGPPeer", "ext", extPeer);
      const log = pino({ level: process.env.TORTIE_TEST_LOG ?? "silent" });
      for (const n of NODES) {
        const a = await Agent.start({
          config: loadAgentConfig(
            { IP: `${n.ip}/24`, AS: String(AS), NODENAME: n.name },
            [
              "--datastore-path",
              join(work, "store.db"),
              "--health-listen",
              "",
              "--control-socket",
              "",
              "--labels",
              n.labels,
            ],
            "unused",
          ),
          netns: topo.host(n.name).nsPath,
          logger: log.child({ node: n.name }),
          connectRetryTime: 1,
          policy: false,
        });
        agents.set(n.name, a);
        tb.defer(() => a.stop());
      }
      const ipam = new Ipam({ store });
      for (const [cidr, host] of [
        ["198.51.100.0/26", "node1"],
        ["198.51.100.64/26", "node2"],
        ["198.51.100.128/26", "node2"],
      ] as const)
        await waitFor(
          async () => {
            try {
              return (await ipam.claimAffinity(cidr, host)).claimed.length > 0;
            } catch {
              return false; // the agent has not written the pool into IPAM's configuration yet
            }
          },
          { what: `${cidr} claimed for ${host}`, timeoutMs: 20_000 },
        );
    }, 120_000);

    it("Tortie as a route reflector: no mesh with it, node2's blocks reflected to BIRD with ORIGINATOR_ID and CLUSTER_LIST, BIRD's route reflected to node2", async () => {
      const n1 = agent("node1");
      await waitFor(
        () => n1.bgp.current?.clusterId === CLUSTER && n1.bgp.current.peers.size === 3,
        { what: "node1 is a reflector with its three peers" },
      );
      expect(
        [...n1.bgp.current!.peers.values()].map((p) => [p.config.address, p.source]).sort(),
      ).toEqual([
        ["192.0.2.12", "BGPPeer/to-rr"],
        [C1, "BGPPeer/c1"],
        [EXT, "BGPPeer/ext"],
      ]);
      await c1.waitEstablished("refl", { timeoutMs: 60_000 });
      const r = await waitFor(
        async () =>
          (await c1.routes({ protocol: "refl" })).find((x) => x.prefix === "198.51.100.64/26"),
        { what: "node2's block at BIRD through the reflector", timeoutMs: 30_000 },
      );
      expect(r.attrs["BGP.next_hop"]).toBe("192.0.2.12");
      expect(r.attrs["BGP.originator_id"]).toBe("192.0.2.12");
      expect(r.attrs["BGP.cluster_list"]).toBe(CLUSTER);
      // BIRD's pool route reaches node2's kernel via BIRD; its route outside every pool does not
      // leave the reflector (Calico exports pool routes only)
      const n2 = topo.host("node2");
      await waitFor(
        async () =>
          (await n2.ipJson<{ gateway?: string }[]>(["route", "show", "198.51.100.192/26"]))[0]
            ?.gateway === C1,
        { what: "node2's kernel has BIRD's pool route via BIRD", timeoutMs: 30_000 },
      );
      expect(n1.bgp.speaker!.routes({ prefix: "198.18.30.0/24" })).toHaveLength(1);
      expect(await n2.ipJson(["route", "show", "198.18.30.0/24"])).toEqual([]);
    });

    it("a BGPFilter export rule: the rejected block is absent at FRR, the others present; nothing outside the pools", async () => {
      await ext.waitEstablished("203.0.113.11", { timeoutMs: 60_000 });
      const got = await waitFor(
        async () => {
          const r = await extRoutes();
          return r["198.51.100.0/26"] && r["198.51.100.128/26"] && r["198.51.100.192/26"]
            ? r
            : undefined;
        },
        {
          what: "node1's block, node2's accepted block and BIRD's pool route at FRR",
          timeoutMs: 30_000,
        },
      );
      expect(got["198.51.100.64/26"]).toBeUndefined();
      expect(got["198.18.30.0/24"]).toBeUndefined();
      // default next hop towards an eBGP peer: node1 itself (its node IP, the session's source)
      expect(got["198.51.100.128/26"]?.[0]?.nexthops?.[0]?.ip).toBe("192.0.2.11");
    });

    it("maxRestartTime: the graceful restart time advertised to that peer", async () => {
      const n = (await ext.neighbor("203.0.113.11")) as {
        gracefulRestartInfo?: { timers?: { receivedRestartTimer?: number } };
      };
      expect(n.gracefulRestartInfo?.timers?.receivedRestartTimer).toBe(45);
      // the peer without it gets the default (BIRD shows what node1 advertised)
      expect(await c1.protocolDetails("refl")).toMatch(/Restart time:\s+120/);
    });

    it("keepOriginalNextHop: FRR sees node2's own address as the next hop of node2's block", async () => {
      await apply("BGPPeer", "ext", { ...extPeer, keepOriginalNextHop: true });
      await waitFor(
        async () =>
          (await extRoutes())["198.51.100.128/26"]?.[0]?.nexthops?.[0]?.ip === "192.0.2.12",
        { what: "198.51.100.128/26 at FRR via 192.0.2.12", timeoutMs: 60_000 },
      );
      // node1's own block keeps node1 as next hop
      expect((await extRoutes())["198.51.100.0/26"]?.[0]?.nexthops?.[0]?.ip).toBe("192.0.2.11");
    });
  },
);
