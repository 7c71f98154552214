// Mesh and peering fields observed on real peers and kernels: three agents
// (in the test process, each in its node namespace, one SQLite store), FRR
// as BIG-IP on the node segment (IPv4 and IPv6 sessions), and FRR as a
// top-of-rack router reached over node1's second interface, which accepts
// sessions from any node address (dynamic neighbors), so it shows which
// source address a session comes from.
//
//   bigip 192.0.2.250, 2001:db8::250 (FRR)          tor 203.0.113.250 (FRR)
//      │ 192.0.2.0/24, 2001:db8::/64                   │ 203.0.113.0/24
//   node1 .11/::11 (rack a) ───────────────────────────┘ node1 203.0.113.11
//   node2 .12/::12 (rack a)
//   node3 .13/::13 (rack b, a wrong nodeMeshPassword)
//
// In order: nodeMeshPassword (TCP-MD5 on the mesh; node3's wrong password
// keeps it out), IPv6 (a v6 block at BIG-IP via the node's IPv6 address and
// in another node's kernel), ignoredInterfaces (connected prefixes in a pool
// announced, an ignored interface's not), sourceAddress (node IP, then None:
// the routed address), then the mesh off and node-to-node peerings selected
// by labels (nodeSelector + peerSelector).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResourceClient } from "@tortie/api";
import { SqliteStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import {
  type Frr,
  requirePrereqs,
  startFrr,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config/agent-config.js";

const skip = requirePrereqs(["root", "netns", "frr"]);
const AS = 64512;
const BIGIP = "192.0.2.250";
const BIGIP6 = "2001:db8::250";
const TOR = "203.0.113.250";
const NODES = [
  { name: "node1", ip: "192.0.2.11", ip6: "2001:db8::11", rack: "a", pw: "mesh-s3cret" },
  { name: "node2", ip: "192.0.2.12", ip6: "2001:db8::12", rack: "a", pw: "mesh-s3cret" },
  { name: "node3", ip: "192.0.2.13", ip6: "2001:db8::13", rack: "b", pw: "not-the-password" },
] as const;
const v3 = "projectcalico.org/v3";

function bigipConfig(): string {
  return [
    "frr defaults traditional",
    "log stdout informational",
    `router bgp ${AS}`,
    ` bgp router-id ${BIGIP}`,
    " no bgp ebgp-requires-policy",
    " no bgp default ipv4-unicast",
    " neighbor nodes4 peer-group",
    ` neighbor nodes4 remote-as ${AS}`,
    " neighbor nodes6 peer-group",
    ` neighbor nodes6 remote-as ${AS}`,
    ...NODES.flatMap((n) => [
      ` neighbor ${n.ip} peer-group nodes4`,
      ` neighbor ${n.ip} timers connect 1`,
      ` neighbor ${n.ip6} peer-group nodes6`,
      ` neighbor ${n.ip6} timers connect 1`,
    ]),
    " address-family ipv4 unicast",
    "  neighbor nodes4 activate",
    " exit-address-family",
    " address-family ipv6 unicast",
    "  neighbor nodes6 activate",
    " exit-address-family",
    "",
  ].join("\n");
}

/** The ToR accepts a session from any node address on either network (dynamic neighbors). */
function torConfig(): string {
  return [
    "frr defaults traditional",
    "log stdout informational",
    `router bgp ${AS}`,
    ` bgp router-id ${TOR}`,
    " no bgp ebgp-requires-policy",
    " neighbor nodes peer-group",
    ` neighbor nodes remote-as ${AS}`,
    " bgp listen range 192.0.2.0/24 peer-group nodes",
    " bgp listen range 203.0.113.0/24 peer-group nodes",
    "",
  ].join("\n");
}

describe.skipIf(skip)(
  "tortie-node: mesh password, IPv6, interfaces, source address, selectors",
  () => {
    const tb = useTestbed();
    let topo: Topology;
    let bigip: Frr;
    let tor: Frr;
    let work: string;
    let store: SqliteStore;
    let client: ResourceClient;
    const agents = new Map<string, Agent>();
    const agent = (n: string) => agents.get(n)!;
    let bgpConfig: Record<string, unknown>;

    const apply = (kind: string, name: string, spec: object) =>
      client.apply({ apiVersion: v3, kind, metadata: { name }, spec });
    const peerState = (node: string, address: string) =>
      agent(node)
        .bgp.speaker?.status()
        .peers.find((p) => p.address === address)?.state;
    const established = (node: string, address: string, timeoutMs = 60_000) =>
      waitFor(() => peerState(node, address) === "Established", {
        what: `${node}: session to ${address} established`,
        timeoutMs,
      });
    const setBgpConfig = async (change: Record<string, unknown>) => {
      bgpConfig = { ...bgpConfig, ...change };
      await apply("BGPConfiguration", "default", bgpConfig);
    };
    /** The sessions the ToR has, by the address it sees, with their state. */
    const torPeers = async () => {
      const j = await tor.json<{ ipv4Unicast?: { peers?: Record<string, { state?: string }> } }>(
        "show bgp summary json",
      );
      return Object.fromEntries(
        Object.entries(j.ipv4Unicast?.peers ?? {}).map(([a, p]) => [a, p.state]),
      );
    };

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "tortie-node-mesh-"));
      tb.defer(() => rmSync(work, { recursive: true, force: true }));
      topo = await tb.topology({
        hosts: ["bigip", "tor", ...NODES.map((n) => n.name)],
        segments: {
          nodes: {
            members: {
              bigip: [`${BIGIP}/24`, `${BIGIP6}/64`],
              ...Object.fromEntries(NODES.map((n) => [n.name, [`${n.ip}/24`, `${n.ip6}/64`]])),
            },
          },
          uplink: { members: { node1: ["203.0.113.11/24"], tor: [`${TOR}/24`] } },
        },
        // the ToR reaches the node network through node1 (a session from node1's node IP)
        routes: [{ host: "tor", to: "192.0.2.0/24", via: "203.0.113.11" }],
      });
      bigip = tb.track(await startFrr(topo.host("bigip"), bigipConfig()));
      tor = tb.track(await startFrr(topo.host("tor"), torConfig()));
      store = new SqliteStore({ path: join(work, "store.db") });
      tb.defer(() => store.close());
      client = new ResourceClient(store);
      await apply("IPPool", "pods4", { cidr: "198.51.100.0/24", blockSize: 26 });
      await apply("IPPool", "pods6", { cidr: "2001:db8:100::/120", blockSize: 122 });
      bgpConfig = {
        asNumber: AS,
        nodeMeshPassword: { secretKeyRef: { name: "mesh", key: "pw" } },
      };
      await apply("BGPConfiguration", "default", bgpConfig);
      await apply("BGPPeer", "bigip", { peerIP: BIGIP, asNumber: AS });
      await apply("BGPPeer", "bigip6", { peerIP: BIGIP6, asNumber: AS });
      const log = pino({ level: process.env.TORTIE_TEST_LOG ?? "silent" });
      for (const n of NODES) {
        const a = await Agent.start({
          config: loadAgentConfig(
            { IP: `${n.ip}/24`, IP6: `${n.ip6}/64`, AS: String(AS), NODENAME: n.name },
            [
              "--datastore-path",
              join(work, "store.db"),
              "--health-listen",
              "",
              "--control-socket",
              "",
              "--secrets-dir",
              join(work, "no-secrets"),
              "--labels",
              `rack=${n.rack}`,
            ],
            "unused",
          ),
          netns: topo.host(n.name).nsPath,
          logger: log.child({ node: n.name }),
          // each node's own copy of the mesh secret: node3's is wrong
          // node3's copy of the mesh secret is wrong; every node has the racks' secret
          env: { TORTIE_SECRET_MESH_PW: n.pw, TORTIE_SECRET_RACKS_PW: "racks-s3cret" },
          connectRetryTime: 1,
          policy: false,
          interfaceScanMs: 500,
        });
        agents.set(n.name, a);
        tb.defer(() => a.stop());
      }
    }, 120_000);

    it("nodeMeshPassword: the mesh comes up with TCP-MD5; a node with a wrong password gets no mesh session", async () => {
      await established("node1", "192.0.2.12");
      await established("node2", "192.0.2.11");
      await established("node1", "2001:db8::12");
      expect(agent("node1").bgp.current?.peers.get("192.0.2.12")?.config.password).toBe(
        "mesh-s3cret",
      );
      // node3 is up (its BIG-IP session has no password) …
      await bigip.waitEstablished("192.0.2.13", { timeoutMs: 60_000 });
      // … but with the wrong key its mesh sessions never open (the peer drops its segments)
      await new Promise((r) => setTimeout(r, 5000));
      for (const [node, address] of [
        ["node1", "192.0.2.13"],
        ["node2", "192.0.2.13"],
        ["node3", "192.0.2.11"],
        ["node3", "192.0.2.12"],
      ] as const)
        expect(peerState(node, address), `${node} → ${address}`).not.toBe("Established");
    });

    it("IPv6: a v6 block affine to node1 reaches BIG-IP via node1's IPv6 address and node2's kernel via node1", async () => {
      const ipam = new Ipam({ store });
      // the agent has written pods6 into IPAM's configuration
      const got = await waitFor(
        async () => {
          try {
            return await ipam.autoAssign({ handleId: "v6-test", hostname: "node1", num6: 1 });
          } catch {
            return undefined;
          }
        },
        { what: "an IPv6 address for node1", timeoutMs: 20_000 },
      );
      expect(got.ipv6[0]?.ip).toMatch(/^2001:db8:100::/);
      const block = await waitFor(
        () => agent("node1").bgp.current?.blocks.find((b) => b.includes(":")),
        { what: "node1's v6 block" },
      );
      await bigip.waitEstablished(NODES[0].ip6, { timeoutMs: 60_000 });
      await waitFor(
        async () =>
          (await bigip.routes("ipv6"))[block]?.[0]?.nexthops?.some((h) => h.ip === "2001:db8::11"),
        { what: `BIG-IP has ${block} via 2001:db8::11`, timeoutMs: 30_000 },
      );
      const node2 = topo.host("node2");
      const r = await waitFor(
        async () => {
          const rs = await node2.ipJson<{ gateway?: string; protocol?: string }[]>([
            "-6",
            "route",
            "show",
            block,
          ]);
          return rs[0]?.gateway === "2001:db8::11" ? rs[0] : undefined;
        },
        { what: `node2's kernel has ${block} via node1`, timeoutMs: 30_000 },
      );
      expect(r.protocol).toBe("84");
      // node1 blackholes its own block
      const own = await topo
        .host("node1")
        .ipJson<{ type?: string }[]>(["-6", "route", "show", block]);
      expect(own[0]?.type).toBe("blackhole");
      await ipam.releaseByHandle("v6-test");
    });

    it("ignoredInterfaces: connected prefixes in a pool are announced, not those of an ignored interface", async () => {
      const n1 = topo.host("node1");
      for (const [dev, addr] of [
        ["svc0", "198.51.100.240/32"],
        ["ign0", "198.51.100.241/32"],
      ] as const) {
        // a veth pair (no dummy module here), both ends up
        await n1.ip(["link", "add", dev, "type", "veth", "peer", "name", `${dev}p`]);
        await n1.ip(["addr", "add", addr, "dev", dev]);
        await n1.ip(["link", "set", `${dev}p`, "up"]);
        await n1.ip(["link", "set", dev, "up"]);
      }
      const at = async () => Object.keys(await bigip.routes("ipv4"));
      await waitFor(
        async () => {
          const r = await at();
          return r.includes("198.51.100.240/32") && r.includes("198.51.100.241/32");
        },
        { what: "both interface prefixes at BIG-IP", timeoutMs: 30_000 },
      );
      const up = () =>
        agent("node1")
          .bgp.speaker!.status()
          .peers.filter((p) => p.state === "Established")
          .map((p) => [p.address, p.flaps, p.since]);
      const before = up();
      expect(before.length).toBeGreaterThanOrEqual(4); // node2 and BIG-IP, v4 and v6
      await setBgpConfig({ ignoredInterfaces: ["ign*"] });
      await waitFor(async () => !(await at()).includes("198.51.100.241/32"), {
        what: "the ignored interface's prefix withdrawn at BIG-IP",
        timeoutMs: 30_000,
      });
      expect(await at()).toContain("198.51.100.240/32");
      // the edit re-configured no session
      expect(up()).toEqual(before);
    });

    it("sourceAddress: the session comes from the node IP by default, from the routed address with None", async () => {
      await apply("BGPPeer", "tor", { node: "node1", peerIP: TOR, asNumber: AS });
      await waitFor(async () => (await torPeers())["192.0.2.11"] === "Established", {
        what: "the ToR sees node1 at its node IP",
        timeoutMs: 60_000,
      });
      await apply("BGPPeer", "tor", {
        node: "node1",
        peerIP: TOR,
        asNumber: AS,
        sourceAddress: "None",
      });
      await waitFor(
        async () => {
          const p = await torPeers();
          return p["203.0.113.11"] === "Established" && !("192.0.2.11" in p);
        },
        { what: "the ToR sees node1 at 203.0.113.11 only", timeoutMs: 60_000 },
      );
      expect(agent("node1").bgp.current?.peers.get(TOR)?.config.localAddress).toBeUndefined();
    });

    it("mesh off: node-to-node sessions only where a BGPPeer's nodeSelector and peerSelector select them", async () => {
      await setBgpConfig({ nodeToNodeMeshEnabled: false });
      // With a password of their own: a session whose TCP-MD5 key is removed does not come
      // back (the speaker keeps the old key on its listener), so the key changes instead.
      const password = { secretKeyRef: { name: "racks", key: "pw" } };
      await apply("BGPPeer", "rack-a", {
        nodeSelector: "rack == 'a'",
        peerSelector: "rack == 'a'",
        password,
      });
      await waitFor(
        () =>
          agent("node1").bgp.current?.peers.get("192.0.2.12")?.source === "BGPPeer/rack-a" &&
          !agent("node1").bgp.current?.peers.has("192.0.2.13"),
        { what: "node1 peers with node2 by rack-a, not with node3" },
      );
      await established("node1", "192.0.2.12");
      await established("node2", "192.0.2.11");
      await established("node1", "2001:db8::12");
      const node3Peers = () =>
        [...(agent("node3").bgp.current?.peers.values() ?? [])].map((p) => p.config.address).sort();
      await waitFor(() => node3Peers().join() === [BIGIP, BIGIP6].sort().join(), {
        what: "node3 (rack b) has no node peer",
      });
      // rack b's nodes peer with rack a's (node3 has the racks' password: it comes in), and back
      await apply("BGPPeer", "b-to-a", {
        nodeSelector: "rack == 'b'",
        peerSelector: "rack == 'a'",
        password,
      });
      await established("node3", "192.0.2.11");
      await established("node3", "2001:db8::12");
      await established("node1", "192.0.2.13");
      expect(agent("node1").bgp.current?.peers.get("192.0.2.13")?.source).toBe("BGPPeer/b-to-a");
      expect(agent("node1").bgp.current?.peers.get("192.0.2.13")?.config.password).toBe(
        "racks-s3cret",
      );
      // routes flow over the selected sessions: node3 installs node1's interface prefix via node1
      const n3 = topo.host("node3");
      await waitFor(
        async () =>
          (await n3.ipJson<{ gateway?: string }[]>(["route", "show", "198.51.100.240/32"]))[0]
            ?.gateway === "192.0.2.11",
        { what: "node3's kernel has node1's prefix via node1", timeoutMs: 30_000 },
      );
    });
  },
);
