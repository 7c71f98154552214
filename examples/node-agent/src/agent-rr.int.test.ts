// Route-reflector mode on etcd, with tortie-node as real processes in the
// node namespaces: three agents with the mesh off and one global BGPPeer to a
// BIRD route reflector; etcd runs in its own namespace on the node network and
// is stopped and started again under the agents; one agent is killed with
// SIGKILL and restarted. Pods through the Tortie CNI plugin (in-process IPAM
// on the same etcd).
//
//   rr 192.0.2.20 (BIRD, rr client ×3)      store 192.0.2.30 (etcd)
//      │ 192.0.2.0/24                          │
//   node1 .11   node2 .12   node3 .13   ───────┘
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  locatePlugin,
  parseNetworkConfig,
  CniRuntime as Runtime,
  spawnExecutor,
} from "@tortie/cni";
import {
  type Bird,
  exec,
  type Host,
  requirePrereqs,
  startBird,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { beforeAll, describe, expect, it } from "vitest";
import { AgentProcess, EtcdInHost } from "./testing/processes.js";

const skip = requirePrereqs(["root", "netns", "bird", "etcd", "nft"]);
const AS = 64512;
const RR = "192.0.2.20";
const STORE = "192.0.2.30";
const NODES = [
  { name: "node1", ip: "192.0.2.11" },
  { name: "node2", ip: "192.0.2.12" },
  { name: "node3", ip: "192.0.2.13" },
] as const;
const cniBin = fileURLToPath(new URL("../../../packages/cni/dist/bin", import.meta.url));
/** The pods are made by the built Tortie CNI plugin (`npm run build` first, as scripts/test.sh does). */
function requireCniBuild(): void {
  if (!existsSync(`${cniBin}/tortie`))
    throw new Error(
      `${cniBin}/tortie is missing: build @tortie/cni first (npm run build -w @tortie/cni)`,
    );
}

function rrConfig(): string {
  // BIRD as a route reflector for the three nodes (RFC 4456): next hops unchanged
  const peers = NODES.map(
    (n, i) => `protocol bgp n${i + 1} {
  local ${RR} as ${AS};
  neighbor ${n.ip} as ${AS};
  direct;
  rr client;
  rr cluster id ${RR};
  connect delay time 1; connect retry time 2; error wait time 1, 5;
  ipv4 { import all; export all; };
}`,
  );
  return [
    `router id ${RR};`,
    "log stderr all;",
    "protocol device { scan time 10; }",
    ...peers,
    "",
  ].join("\n");
}

describe.skipIf(skip)("tortie-node processes: route reflector (BIRD), etcd datastore", () => {
  const tb = useTestbed();
  let topo: Topology;
  let rr: Bird;
  let etcd: EtcdInHost;
  let work: string;
  const agents = new Map<string, AgentProcess>();

  const routeGet = async (h: Host, ip: string) =>
    (await h.ipJson<{ gateway?: string; dev?: string }[]>(["route", "get", ip]))[0];
  const rrRoutes = async () => (await rr.routes({ table: "master4" })).map((r) => r.prefix);
  const cni = async (
    node: string,
    pod: string,
    id: string,
    ipam: object,
    verb: "add" | "del" = "add",
  ) => {
    const rt = new Runtime({
      path: [cniBin],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", topo.host(node).netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
      }),
      locate: locatePlugin,
    });
    const list = parseNetworkConfig({
      cniVersion: "1.1.0",
      name: "k8s-pod-network",
      plugins: [
        {
          type: "tortie",
          dataDir: join(work, "cni-state"),
          nodename: node,
          datastore: { type: "etcd", endpoints: [etcd.endpoint] },
          ipam: { type: "tortie", ...ipam },
        },
      ],
    });
    const att = { containerId: id, netns: topo.host(pod).nsPath, ifname: "eth0" };
    if (verb === "del") {
      await rt.del(list, att);
      return undefined;
    }
    const out = await rt.add(list, att);
    return out.result.ips![0]!.address;
  };
  /** A host's proto-84 routes once two reads a second apart agree. */
  const settled = async (h: Host) => {
    let last = "";
    return waitFor(
      async () => {
        const now = await h.ipJson<{ dst: string }[]>(["route", "show", "proto", "84"]);
        const same = JSON.stringify(now) === last;
        last = JSON.stringify(now);
        return same ? now : undefined;
      },
      { what: `${h.name}'s routes settled`, intervalMs: 1000 },
    );
  };
  const established = async (a: AgentProcess) => {
    const s = await a.status();
    return !!s?.agent.ready && s.bgp.peers.length === 1 && s.bgp.peers[0]!.state === "Established";
  };

  beforeAll(async () => {
    requireCniBuild();
    work = mkdtempSync(join(tmpdir(), "tortie-node-rr-"));
    tb.defer(() => rmSync(work, { recursive: true, force: true }));
    topo = await tb.topology({
      hosts: ["rr", "store", ...NODES.map((n) => n.name), "pa", "pb", "pc", "pd", "pe"],
      segments: {
        nodes: {
          members: {
            rr: [`${RR}/24`],
            store: [`${STORE}/24`],
            ...Object.fromEntries(NODES.map((n) => [n.name, [`${n.ip}/24`]])),
          },
        },
      },
      // like real nodes: a default route (proxy ARP answers for the pods' gateway only then)
      routes: NODES.map((n) => ({ host: n.name, to: "default", via: RR })),
    });
    etcd = new EtcdInHost(topo.host("store"), STORE, join(work, "etcd"));
    await etcd.start();
    tb.defer(() => etcd.stop());
    rr = tb.track(await startBird(topo.host("rr"), rrConfig()));
    await etcd.apply("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 28 });
    await etcd.apply("IPPool", "tiny", { cidr: "198.18.1.0/28", blockSize: 28 });
    await etcd.apply("IPPool", "filtered", { cidr: "203.0.113.0/24", blockSize: 28 });
    await etcd.apply("BGPConfiguration", "default", { nodeToNodeMeshEnabled: false, asNumber: AS });
    await etcd.apply("BGPFilter", "no-203", {
      importV4: [{ action: "Reject", matchOperator: "In", cidr: "203.0.113.0/24" }],
    });
    await etcd.apply("BGPPeer", "rr", { peerIP: RR, asNumber: AS, filters: ["no-203"] });
    for (const n of NODES) {
      const a = new AgentProcess(topo.host(n.name), join(work, n.name), {
        DATASTORE_TYPE: "etcdv3",
        ETCD_ENDPOINTS: etcd.endpoint,
        IP: `${n.ip}/24`,
        NODENAME: n.name,
      });
      a.start();
      agents.set(n.name, tb.track(a));
    }
  }, 120_000);

  it("each node peers only with the reflector; learned blocks go to the kernel via the originating node", async () => {
    for (const [i] of NODES.entries()) await rr.waitEstablished(`n${i + 1}`, { timeoutMs: 60_000 });
    for (const n of NODES)
      await waitFor(() => established(agents.get(n.name)!), {
        what: `${n.name} ready, one session`,
        timeoutMs: 30_000,
      });
    const ip1 = (await cni("node1", "pa", "c-pa", { ipv4_pools: ["pods"] }))!.split("/")[0]!;
    const ip2 = (await cni("node2", "pb", "c-pb", { ipv4_pools: ["pods"] }))!.split("/")[0]!;
    await waitFor(async () => (await routeGet(topo.host("node1"), ip2))?.gateway === "192.0.2.12", {
      what: "node1 → node2's pod via node2 (reflected, next hop kept)",
      timeoutMs: 30_000,
    });
    for (const [node, ip, via] of [
      ["node3", ip1, "192.0.2.11"],
      ["node2", ip1, "192.0.2.11"],
      ["node3", ip2, "192.0.2.12"],
    ] as const)
      await waitFor(async () => (await routeGet(topo.host(node), ip))?.gateway === via, {
        what: `${node} → ${ip} via ${via}`,
        timeoutMs: 30_000,
      });
    const ping = await topo.host("pa").exec(["ping", "-c", "1", "-W", "3", ip2]);
    expect(ping.stdout).toMatch(/ttl=62/);
    // `tortie-node status`, as an operator runs it
    const cli = await exec([
      process.execPath,
      "--conditions=source",
      "--import",
      new URL("../../../node_modules/tsx/dist/loader.mjs", import.meta.url).href,
      fileURLToPath(new URL("./cli/main.ts", import.meta.url)),
      "status",
      "--control-socket",
      agents.get("node1")!.socket,
    ]);
    expect(cli.stdout).toMatch(/Tortie node node1 is ready/);
    expect(cli.stdout).toMatch(/192\.0\.2\.20\s+global rr\s+up/);
  });

  it("a BGPFilter on the peer keeps a prefix out of the kernel; removing it lets it in without a session restart", async () => {
    const ip = (await cni("node3", "pc", "c-pc", { ipv4_pools: ["filtered"] }))!.split("/")[0]!;
    const block = await waitFor(
      async () =>
        (await agents.get("node3")!.status())?.routes.blocks.find((b) =>
          b.startsWith("203.0.113."),
        ),
      { what: "node3's block of the filtered pool" },
    );
    await waitFor(async () => (await rrRoutes()).includes(block), {
      what: "reflector has the block",
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await topo.host("node1").ipJson(["route", "show", block])).toEqual([]);
    expect((await routeGet(topo.host("node1"), ip))?.gateway).not.toBe("192.0.2.13");
    const since = (await agents.get("node1")!.status())!.bgp.peers[0]!.since;
    await etcd.apply("BGPPeer", "rr", { peerIP: RR, asNumber: AS });
    await waitFor(async () => (await routeGet(topo.host("node1"), ip))?.gateway === "192.0.2.13", {
      what: "the block is installed once the filter is gone",
      timeoutMs: 30_000,
    });
    expect((await agents.get("node1")!.status())!.bgp.peers[0]!.since).toBe(since);
  });

  it("a borrowed address outside the node's blocks is announced as a /32 and withdrawn on DEL", async () => {
    await cni("node1", "pd", "c-tiny-1", { ipv4_pools: ["tiny"] }); // claims the pool's only block
    const borrowed = (await cni("node2", "pe", "c-tiny-2", { ipv4_pools: ["tiny"] }))!; // must borrow
    expect(borrowed).toMatch(/^198\.18\.1\.\d+\/32$/);
    expect(
      (await agents.get("node2")!.status())!.routes.blocks.some((b) => b.startsWith("198.18.1.")),
    ).toBe(false);
    await waitFor(async () => (await rrRoutes()).includes(borrowed), {
      what: "reflector has the borrowed /32",
      timeoutMs: 30_000,
    });
    await waitFor(
      async () =>
        (await routeGet(topo.host("node1"), borrowed.split("/")[0]!))?.gateway === "192.0.2.12",
      { what: "node1 routes the borrowed /32 via node2 (over its own block's blackhole)" },
    );
    await cni("node2", "pe", "c-tiny-2", { ipv4_pools: ["tiny"] }, "del");
    await waitFor(async () => !(await rrRoutes()).includes(borrowed), {
      what: "reflector lost the borrowed /32",
      timeoutMs: 30_000,
    });
  });

  it("kill -9 of an agent: its kernel routes stay; restarted, it deletes none of them and converges", async () => {
    const a = agents.get("node1")!;
    const h = topo.host("node1");
    // the table once it has settled (the previous test's withdrawals reach node1 a little later)
    const before = await settled(h);
    expect(before.length).toBeGreaterThanOrEqual(4); // blocks, workloads, learned
    // (ip prints host routes without /32)
    const podIp = before.find((r) => r.dst.startsWith("198.51.100.") && !r.dst.includes("/"))!.dst;
    await topo.host("pc").exec(["ping", "-c", "1", "-W", "3", podIp]);
    await a.kill();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await h.ipJson(["route", "show", "proto", "84"])).toEqual(before);
    // (The reflector withdraws node1's routes at once: the speaker does not yet
    // announce the Graceful Restart capability (RFC 4724), so peers cannot keep
    // them. Traffic into node1's pods from other nodes stops until it is back.)
    // watch node1's table for deletions while the agent starts again
    const mon = h.exec(["timeout", "12", "ip", "monitor", "route"]).catch((e) => e);
    await new Promise((r) => setTimeout(r, 300));
    a.start();
    await waitFor(() => established(a), { what: "node1 back and established", timeoutMs: 60_000 });
    await topo.host("pc").exec(["ping", "-c", "1", "-W", "3", podIp]);
    const seen = await mon;
    const text = String((seen as { stdout?: string }).stdout ?? "");
    const deleted = text
      .split("\n")
      .filter((l) => l.startsWith("Deleted") && l.includes("proto 84"));
    expect(deleted).toEqual([]);
    expect(
      (await h.ipJson<{ dst: string }[]>(["route", "show", "proto", "84"]))
        .map((r) => r.dst)
        .sort(),
    ).toEqual(before.map((r) => r.dst).sort());
  });

  it("etcd stopped: sessions and routes stay; started again: the agents resynchronise and converge", async () => {
    const before = await settled(topo.host("node2"));
    await etcd.stop();
    await new Promise((r) => setTimeout(r, 3000));
    for (const n of NODES)
      expect((await agents.get(n.name)!.status())?.bgp.peers[0]?.state).toBe("Established");
    expect(await topo.host("node2").ipJson(["route", "show", "proto", "84"])).toEqual(before);
    await etcd.start();
    // a change made after the restart reaches every agent
    await etcd.apply("BGPConfiguration", "default", {
      nodeToNodeMeshEnabled: false,
      asNumber: AS,
      serviceClusterIPs: [{ cidr: "203.0.113.240/28" }],
    });
    await waitFor(
      async () =>
        (await rr.routes({ table: "master4" })).filter((r) => r.prefix === "203.0.113.240/28")
          .length === 3,
      {
        what: "every node announces the service cluster IP range after etcd came back",
        timeoutMs: 60_000,
      },
    );
    for (const n of NODES)
      await waitFor(async () => (await agents.get(n.name)!.status())?.agent.ready, {
        what: `${n.name} ready again`,
        timeoutMs: 60_000,
      });
  });
});
