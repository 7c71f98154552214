// Three node agents + FRR as F5 BIG-IP (`calico-k8s` peer-group, AS 64512)
// on one segment, each agent with its speaker and routes in its node's
// namespace, one SQLite datastore shared like a host's file (the CNI plugin
// writes to it too). Pods are created through the Tortie CNI plugin (the
// built `tortie` shim, in-process IPAM over the same store).
//
//   bigip 192.0.2.250 (FRR)          default route of every node → BIG-IP
//      │ 192.0.2.0/24
//   node1 .11   node2 .12   node3 .13   mesh + BGPPeer "bigip" with a TCP-MD5 password
//     │           │           │
//    pa          pb          pc          pods (CNI ADD)
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ResourceClient } from "@tortie/api";
import {
  locatePlugin,
  parseNetworkConfig,
  CniRuntime as Runtime,
  spawnExecutor,
} from "@tortie/cni";
import { SqliteStore } from "@tortie/datastore";
import {
  type Frr,
  type Host,
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
import { controlRequest } from "./rooms/status/control.js";

const skip = requirePrereqs(["root", "netns", "frr", "nft"]);
const AS = 64512;
const BIGIP = "192.0.2.250";
const NODES = [
  { name: "node1", ip: "192.0.2.11", pod: "pa" },
  { name: "node2", ip: "192.0.2.12", pod: "pb" },
  { name: "node3", ip: "192.0.2.13", pod: "pc" },
] as const;
const PASSWORD = "md5-s3cret";
const v3 = "projectcalico.org/v3";
const cniBin = fileURLToPath(new URL("../../../packages/cni/dist/bin", import.meta.url));
/** The pods are made by the built Tortie CNI plugin (`npm run build` first, as scripts/test.sh does). */
function requireCniBuild(): void {
  if (!existsSync(`${cniBin}/tortie`))
    throw new Error(
      `${cniBin}/tortie is missing: build @tortie/cni first (npm run build -w @tortie/cni)`,
    );
}

function bigipConfig(): string {
  return [
    "frr defaults traditional",
    "log stdout informational",
    `router bgp ${AS}`,
    ` bgp router-id ${BIGIP}`,
    " no bgp ebgp-requires-policy",
    " neighbor calico-k8s peer-group",
    ` neighbor calico-k8s remote-as ${AS}`,
    ...NODES.flatMap((n) => [
      ` neighbor ${n.ip} peer-group calico-k8s`,
      ` neighbor ${n.ip} password ${PASSWORD}`,
      ` neighbor ${n.ip} timers connect 1`,
    ]),
    " address-family ipv4 unicast",
    "  neighbor calico-k8s activate",
    " exit-address-family",
    "",
  ].join("\n");
}

describe.skipIf(skip)("tortie-node: three agents, FRR as BIG-IP, mesh", () => {
  const tb = useTestbed();
  let topo: Topology;
  let bigip: Frr;
  let work: string;
  let client: ResourceClient;
  let store: SqliteStore;
  const agents = new Map<string, Agent>();
  const podIp = new Map<string, string>();

  const apply = (kind: string, name: string, spec: object, extra: object = {}) =>
    client.apply({ apiVersion: v3, kind, metadata: { name, ...extra }, spec });
  const bigipRoutes = () => bigip.routes("ipv4");
  const routeGet = async (h: Host, ip: string) =>
    (
      await h.ipJson<{ gateway?: string; dev?: string; prefsrc?: string }[]>(["route", "get", ip])
    )[0];
  const network = (name: string, node: string, ipam: object = {}) =>
    parseNetworkConfig({
      cniVersion: "1.1.0",
      name,
      plugins: [
        {
          type: "tortie",
          dataDir: join(work, "cni-state"),
          nodename: node,
          datastore: { type: "sqlite", path: join(work, "store.db") },
          ipam: { type: "tortie", ...ipam },
        },
      ],
    });
  const runtimeFor = (node: string) =>
    new Runtime({
      path: [cniBin],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", topo.host(node).netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
      }),
      locate: locatePlugin,
    });

  beforeAll(async () => {
    requireCniBuild();
    work = mkdtempSync(join(tmpdir(), "tortie-node-"));
    topo = await tb.topology({
      hosts: ["bigip", ...NODES.flatMap((n) => [n.name, n.pod]), "pd"],
      segments: {
        nodes: {
          members: {
            bigip: [`${BIGIP}/24`],
            ...Object.fromEntries(NODES.map((n) => [n.name, [`${n.ip}/24`]])),
          },
        },
      },
      // like F5's lab: nodes default to BIG-IP, so without learned routes
      // pod-to-pod traffic would hairpin through it
      routes: NODES.map((n) => ({ host: n.name, to: "default", via: BIGIP })),
    });
    bigip = tb.track(await startFrr(topo.host("bigip"), bigipConfig()));
    store = new SqliteStore({ path: join(work, "store.db") });
    tb.defer(() => store.close());
    client = new ResourceClient(store);
    await apply("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 28 });
    await apply("BGPConfiguration", "default", {
      asNumber: AS,
      communities: [{ name: "bigip-pods", value: "64512:100" }],
      prefixAdvertisements: [{ cidr: "198.51.100.0/24", communities: ["bigip-pods"] }],
    });
    await apply("BGPPeer", "bigip", {
      peerIP: BIGIP,
      asNumber: AS,
      password: { secretKeyRef: { name: "bgp-secrets", key: "bigip" } },
    });
    const log = pino({ level: process.env.TORTIE_TEST_LOG ?? "silent" });
    for (const n of NODES) {
      const config = loadAgentConfig(
        { IP: `${n.ip}/24`, AS: String(AS), NODENAME: n.name },
        [
          "--datastore-path",
          join(work, "store.db"),
          "--health-listen",
          "127.0.0.1:0",
          "--control-socket",
          join(work, `${n.name}.sock`),
          "--secrets-dir",
          join(work, "no-secrets"),
        ],
        "unused",
      );
      const a = await Agent.start({
        config,
        netns: topo.host(n.name).nsPath,
        logger: log.child({ node: n.name }),
        env: { TORTIE_SECRET_BGP_SECRETS_BIGIP: PASSWORD },
        connectRetryTime: 1,
        statusIntervalMs: 500,
      });
      agents.set(n.name, a);
      tb.defer(() => a.stop());
    }
    tb.defer(() => rmSync(work, { recursive: true, force: true }));
  }, 120_000);

  it("registers every node and brings up the mesh and the MD5 session to BIG-IP", async () => {
    for (const n of NODES) {
      const node = await client.get({ apiVersion: v3, kind: "Node", name: n.name });
      expect(node?.spec).toMatchObject({ bgp: { ipv4Address: `${n.ip}/24`, asNumber: AS } });
      await bigip.waitEstablished(n.ip, { timeoutMs: 60_000 });
    }
    for (const n of NODES) {
      const a = agents.get(n.name)!;
      await waitFor(
        () => {
          const peers = a.bgp.speaker?.status().peers ?? [];
          return peers.length === 3 && peers.every((p) => p.state === "Established");
        },
        { what: `${n.name}: mesh + BIG-IP established`, timeoutMs: 60_000 },
      );
      await waitFor(() => a.ready, { what: `${n.name} ready` });
      const r = await fetch(`http://127.0.0.1:${a.httpPort}/readiness`);
      expect(r.status).toBe(200);
    }
  });

  it("pods created through the CNI plugin: every block at BIG-IP via its node, other nodes' blocks in each kernel via the node", async () => {
    for (const n of NODES) {
      const out = await runtimeFor(n.name).add(network("k8s-pod-network", n.name), {
        containerId: `c-${n.pod}`,
        netns: topo.host(n.pod).nsPath,
        ifname: "eth0",
      });
      podIp.set(n.name, out.result.ips![0]!.address.split("/")[0]!);
    }
    const blockOf = new Map<string, string>();
    for (const n of NODES) {
      const a = agents.get(n.name)!;
      const b = await waitFor(() => a.bgp.current?.blocks[0], { what: `${n.name} has a block` });
      blockOf.set(n.name, b);
      expect(b).toMatch(/^198\.51\.100\.\d+\/28$/);
    }
    await waitFor(
      async () => {
        const r = await bigipRoutes();
        return NODES.every((n) => r[blockOf.get(n.name)!]?.[0]?.nexthops?.[0]?.ip === n.ip);
      },
      { what: "BIG-IP has every block via its node", timeoutMs: 30_000 },
    );
    // the community from prefixAdvertisements reached BIG-IP
    const detail = await bigip.json<{ paths?: { community?: { string?: string } }[] }>(
      `show bgp ipv4 unicast ${blockOf.get("node1")} json`,
    );
    expect(detail.paths?.[0]?.community?.string).toBe("64512:100");
    // each node: the others' pods via the other node directly (not BIG-IP), own pod via its veth
    for (const n of NODES) {
      const h = topo.host(n.name);
      for (const o of NODES) {
        const ip = podIp.get(o.name)!;
        await waitFor(
          async () => {
            const g = await routeGet(h, ip);
            return o === n ? g?.dev?.startsWith("cali") : g?.gateway === o.ip;
          },
          { what: `${n.name}: route to ${o.name}'s pod ${ip}`, timeoutMs: 30_000 },
        );
      }
      // a blackhole for the node's own block, with Tortie's protocol
      const bh = await h.ipJson<{ type?: string; protocol?: string }[]>([
        "route",
        "show",
        "type",
        "blackhole",
      ]);
      expect(bh.length).toBe(1);
    }
    // pod to pod across nodes: one routed hop between nodes (TTL 64 - 2 at the receiver)
    const pa = topo.host("pa");
    const out = await pa.exec(["ping", "-c", "1", "-W", "3", podIp.get("node2")!]);
    expect(out.stdout).toMatch(/ttl=62/);
  });

  it("control socket and metrics report sessions, blocks and routes", async () => {
    const r = (await controlRequest(join(work, "node1.sock"), { command: "status" })) as {
      ok: boolean;
      status: {
        bgp: { peers: { state: string; source: string }[] };
        routes: { learned: number; workloads: number };
      };
    };
    expect(r.ok).toBe(true);
    expect(r.status.bgp.peers.map((p) => p.source).sort()).toEqual([
      "BGPPeer/bigip",
      "mesh",
      "mesh",
    ]);
    expect(r.status.routes.learned).toBe(2);
    expect(r.status.routes.workloads).toBe(1);
    const bad = await controlRequest(join(work, "node1.sock"), { command: "rm -rf" });
    expect(bad).toMatchObject({ ok: false });
    const m = await (
      await fetch(`http://127.0.0.1:${agents.get("node1")!.httpPort}/metrics`)
    ).text();
    expect(m).toMatch(/tortie_node_bgp_sessions\{state="Established"\} 3/);
    expect(m).toMatch(/tortie_node_routes_programmed\{source="bgp"\} 2/);
    // the status record in the datastore
    const rec = await store.get("/tortie/nodestatus/v1/node2");
    expect(JSON.parse(rec!.value)).toMatchObject({ node: "node2", agent: { ready: true } });
  });

  it("an invalid resource keeps the last good configuration; an unrelated edit flaps no session", async () => {
    const a = agents.get("node1")!;
    const before = a.bgp.speaker!.status().peers.map((p) => [p.address, p.flaps, p.since]);
    // bypass the client's validation: what a broken writer could leave in the store
    await store.txn({
      compare: [],
      ops: [
        {
          type: "put",
          key: "/calico/resources/v3/projectcalico.org/bgppeers/bigip",
          value: JSON.stringify({
            apiVersion: v3,
            kind: "BGPPeer",
            metadata: { name: "bigip" },
            spec: { peerIP: BIGIP, asNumbr: 1 },
          }),
        },
      ],
    });
    await waitFor(
      () =>
        a.status().issues.some((i) => i.resource === "BGPPeer/bigip" && i.path === "spec.asNumber"),
      {
        what: "issue reported with its field path",
      },
    );
    await apply("IPPool", "elsewhere", { cidr: "203.0.113.0/24" });
    await apply("BGPFilter", "unused", {
      importV4: [{ action: "Reject", matchOperator: "In", cidr: "203.0.113.0/24" }],
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.bgp.speaker!.status().peers.map((p) => [p.address, p.flaps, p.since])).toEqual(before);
    // fixed: the issue goes
    await apply("BGPPeer", "bigip", {
      peerIP: BIGIP,
      asNumber: AS,
      password: { secretKeyRef: { name: "bgp-secrets", key: "bigip" } },
    });
    await waitFor(() => !a.status().issues.length, { what: "issue cleared" });
    expect(a.bgp.speaker!.status().peers.map((p) => [p.address, p.flaps, p.since])).toEqual(before);
  });

  it("a new IPPool is used and announced; deleting it withdraws its blocks", async () => {
    await apply("IPPool", "extra", { cidr: "198.18.0.0/24", blockSize: 28 });
    const out = await runtimeFor("node3").add(
      network("k8s-pod-network", "node3", { ipv4_pools: ["extra"] }),
      {
        containerId: "c-pd",
        netns: topo.host("pd").nsPath,
        ifname: "eth0",
      },
    );
    const ip = out.result.ips![0]!.address;
    expect(ip).toMatch(/^198\.18\.0\.\d+\/32$/);
    const block = await waitFor(
      () => agents.get("node3")!.bgp.current?.blocks.find((b) => b.startsWith("198.18.0.")),
      { what: "node3 has a block of the new pool" },
    );
    await waitFor(
      async () => (await bigipRoutes())[block]?.[0]?.nexthops?.[0]?.ip === "192.0.2.13",
      {
        what: "BIG-IP learned the new pool's block via node3",
        timeoutMs: 30_000,
      },
    );
    await waitFor(
      async () => (await routeGet(topo.host("node1"), ip.split("/")[0]!))?.gateway === "192.0.2.13",
      {
        what: "node1 routes the new block via node3",
      },
    );
    await client.delete({ apiVersion: v3, kind: "IPPool", name: "extra" });
    await waitFor(async () => !(await bigipRoutes())[block], {
      what: "BIG-IP lost the deleted pool's block",
      timeoutMs: 30_000,
    });
    // the blackhole for the still-affine block stays on node3 (workloads may still use it)
    const bh = await topo
      .host("node3")
      .ipJson<{ dst: string }[]>(["route", "show", "type", "blackhole"]);
    expect(bh.map((r) => r.dst)).toContain(block);
  });

  it("policy: a GlobalNetworkPolicy rendered into nftables on the pod's node stops one source, not another", async () => {
    const pa = podIp.get("node1")!;
    const pb = podIp.get("node2")!;
    await topo.host("pb").exec(["ping", "-c", "1", "-W", "2", pa]);
    await apply("GlobalNetworkPolicy", "no-pb-to-pa", {
      selector: "all()",
      types: ["Ingress"],
      ingress: [{ action: "Deny", source: { nets: [`${pb}/32`] } }, { action: "Allow" }],
    });
    await waitFor(
      async () =>
        topo
          .host("pb")
          .exec(["ping", "-c", "1", "-W", "1", pa])
          .then(
            () => false,
            () => true,
          ),
      { what: "pb → pa refused by the policy on node1", timeoutMs: 30_000 },
    );
    await topo.host("pc").exec(["ping", "-c", "1", "-W", "2", pa]);
    const table = await topo.host("node1").exec(["nft", "list", "table", "inet", "tortie"]);
    expect(table.stdout).toContain(pb);
    // a policy the engine refuses (it matches a Service, which Tortie does not resolve):
    // reported, skipped; the policy already in force stays
    await apply("GlobalNetworkPolicy", "by-service", {
      selector: "all()",
      types: ["Egress"],
      egress: [
        {
          action: "Allow",
          destination: { services: { name: "kube-dns", namespace: "kube-system" } },
        },
      ],
    });
    const a1 = agents.get("node1")!;
    await waitFor(
      () => a1.status().issues.some((i) => /by-service/.test(`${i.resource} ${i.message}`)),
      {
        what: "the refused policy is reported",
      },
    );
    await expect(topo.host("pb").exec(["ping", "-c", "1", "-W", "1", pa])).rejects.toThrow();
    await topo.host("pc").exec(["ping", "-c", "1", "-W", "2", pa]);
    await client.delete({ apiVersion: v3, kind: "GlobalNetworkPolicy", name: "by-service" });
    await waitFor(() => !a1.status().issues.length, { what: "the issue goes with the resource" });
    await client.delete({ apiVersion: v3, kind: "GlobalNetworkPolicy", name: "no-pb-to-pa" });
    await waitFor(
      async () =>
        topo
          .host("pb")
          .exec(["ping", "-c", "1", "-W", "1", pa])
          .then(
            () => true,
            () => false,
          ),
      { what: "pb → pa allowed again", timeoutMs: 30_000 },
    );
  });

  it("a hand-deleted learned route is repaired; a foreign route is left alone", async () => {
    const h = topo.host("node2");
    const block = agents
      .get("node1")!
      .bgp.current!.blocks.find((b) => b.startsWith("198.51.100."))!;
    await h.ip(["route", "add", "203.0.113.128/25", "via", BIGIP, "proto", "static"]);
    await h.ip(["route", "del", block]);
    await waitFor(
      async () =>
        (await h.ipJson<{ gateway?: string }[]>(["route", "show", block]))[0]?.gateway ===
        "192.0.2.11",
      { what: "learned route repaired" },
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.ipJson(["route", "show", "203.0.113.128/25"])).toHaveLength(1);
  });
});
