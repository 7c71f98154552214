// Convergence with 10 nodes: ten tortie-node agents (in this process, each
// with its speaker and routes in its own node namespace) in a full mesh, FRR
// as BIG-IP, one SQLite datastore. Each round a Tortie CNI ADD (the built
// plugin, run in a node namespace) claims a new block — the pool's blockSize
// is 32, so every ADD claims one — and the clock runs from the ADD's return
// until the block is (a) in BIG-IP's BGP table via its node and (b) in the
// kernel of all nine other nodes. Then an eleventh node starts: time until it
// has every session Established and every other node has it too.
//
//   BENCH_ROUNDS=15 npx tsx --conditions=source examples/node-agent/bench/convergence.ts   (root)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { ResourceClient } from "@tortie/api";
import { CniRuntime, locatePlugin, parseNetworkConfig, spawnExecutor } from "@tortie/cni";
import { SqliteStore } from "@tortie/datastore";
import { Netlink, RouteProtocol } from "@tortie/netlink";
import { createTopology, missingPrereqs, startFrr, waitFor } from "@tortie/testbed";
import pino from "pino";
import { Agent } from "../src/agent.js";
import { loadAgentConfig } from "../src/config/agent-config.js";

const N = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const AS = 64512;
const BIGIP = "192.0.2.250";
const missing = missingPrereqs(["root", "frr"]);
if (missing.length) {
  console.error(`bench/convergence: ${missing.join("; ")}`);
  process.exit(1);
}
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const nodes = Array.from({ length: N + 1 }, (_, i) => ({
  name: `node${i + 1}`,
  ip: `192.0.2.${11 + i}`,
}));
const cniBin = fileURLToPath(new URL("../../../packages/cni/dist/bin", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tortie-bench-conv-"));

const topo = await createTopology({
  hosts: [
    "bigip",
    ...nodes.map((n) => n.name),
    ...Array.from({ length: ROUNDS }, (_, i) => `p${i}`),
  ],
  segments: {
    nodes: {
      members: {
        bigip: [`${BIGIP}/24`],
        ...Object.fromEntries(nodes.map((n) => [n.name, [`${n.ip}/24`]])),
      },
    },
  },
  routes: nodes.map((n) => ({ host: n.name, to: "default", via: BIGIP })),
});
const agents: Agent[] = [];
const store = new SqliteStore({ path: join(work, "store.db") });
let frr: Awaited<ReturnType<typeof startFrr>> | undefined;
try {
  frr = await startFrr(
    topo.host("bigip"),
    [
      "frr defaults traditional",
      `router bgp ${AS}`,
      ` bgp router-id ${BIGIP}`,
      " no bgp ebgp-requires-policy",
      " neighbor calico-k8s peer-group",
      ` neighbor calico-k8s remote-as ${AS}`,
      ...nodes.flatMap((n) => [
        ` neighbor ${n.ip} peer-group calico-k8s`,
        ` neighbor ${n.ip} timers connect 1`,
      ]),
      " address-family ipv4 unicast",
      "  neighbor calico-k8s activate",
      " exit-address-family",
      "",
    ].join("\n"),
  );
  const client = new ResourceClient(store);
  const apply = (kind: string, name: string, spec: object) =>
    client.apply({ apiVersion: "projectcalico.org/v3", kind, metadata: { name }, spec });
  await apply("IPPool", "bench", { cidr: "198.18.0.0/24", blockSize: 32 });
  await apply("BGPPeer", "bigip", { peerIP: BIGIP, asNumber: AS });
  const log = pino({ level: "silent" });
  const start = (n: (typeof nodes)[number]) =>
    Agent.start({
      config: loadAgentConfig(
        { IP: `${n.ip}/24`, AS: String(AS), NODENAME: n.name },
        ["--datastore-path", join(work, "store.db"), "--health-listen", "", "--control-socket", ""],
        "unused",
      ),
      netns: topo.host(n.name).nsPath,
      logger: log,
      connectRetryTime: 1,
    });
  for (const n of nodes.slice(0, N)) agents.push(await start(n));
  const up = (a: Agent, peers: number) => {
    const ps = a.bgp.speaker?.status().peers ?? [];
    return ps.length === peers && ps.every((p) => p.state === "Established");
  };
  await waitFor(() => agents.every((a) => up(a, N)), {
    what: "full mesh + BIG-IP",
    timeoutMs: 120_000,
  });
  console.log(`${N} agents up: ${N - 1} mesh sessions + BIG-IP each`);
  const nls = await Promise.all(
    nodes.slice(0, N).map((n) => Netlink.open({ netns: topo.host(n.name).nsPath })),
  );

  const addMs: number[] = [];
  const toBigip: number[] = [];
  const toKernels: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const k = i % N;
    const node = nodes[k]!;
    const rt = new CniRuntime({
      path: [cniBin],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", topo.host(node.name).netns],
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
          dataDir: join(work, "cni"),
          nodename: node.name,
          datastore: { type: "sqlite", path: join(work, "store.db") },
          ipam: { type: "tortie" },
        },
      ],
    });
    const t0 = performance.now();
    const out = await rt.add(list, {
      containerId: `b${i}`,
      netns: topo.host(`p${i}`).nsPath,
      ifname: "eth0",
    });
    const t1 = performance.now();
    const block = out.result.ips![0]!.address; // a /32 block
    const ip = block.split("/")[0]!;
    const others = nls.filter((_, j) => j !== k);
    // two independent pollers: BIG-IP (vtysh, ~25 ms a call) and the kernels (netlink dumps)
    const [tb, tk] = await Promise.all([
      waitFor(
        async () => {
          const r = await frr!.json<{ paths?: { nexthops?: { ip: string }[] }[] }>(
            `show bgp ipv4 unicast ${block} json`,
          );
          return r.paths?.[0]?.nexthops?.[0]?.ip === node.ip ? performance.now() : 0;
        },
        { intervalMs: 5, timeoutMs: 30_000, what: `block ${ip} at BIG-IP` },
      ),
      waitFor(
        async () => {
          const all = await Promise.all(
            others.map(async (nl) =>
              (await nl.routes.list({ family: 4, protocol: RouteProtocol.tortie })).some(
                (r) => r.dst === block && r.gateway === node.ip,
              ),
            ),
          );
          return all.every(Boolean) ? performance.now() : 0;
        },
        { intervalMs: 5, timeoutMs: 30_000, what: `block ${ip} in 9 kernels` },
      ),
    ]);
    addMs.push(t1 - t0);
    toBigip.push(tb - t1);
    toKernels.push(tk - t1);
    console.log(
      `round ${i + 1}: ADD ${(t1 - t0).toFixed(0)} ms; → BIG-IP ${(tb - t1).toFixed(0)} ms; → 9 kernels ${(tk - t1).toFixed(0)} ms`,
    );
  }
  for (const nl of nls) nl.close();

  // A new node joins.
  const t0 = performance.now();
  const newbie = await start(nodes[N]!);
  agents.push(newbie);
  await waitFor(() => agents.every((a) => up(a, N + 1)), {
    what: "11th node fully meshed",
    timeoutMs: 120_000,
    intervalMs: 10,
  });
  const meshMs = performance.now() - t0;

  const row = (what: string, xs: number[]) =>
    `| ${what} | ${q(xs, 0.5).toFixed(0)} ms | ${q(xs, 0.9).toFixed(0)} ms | ${Math.max(...xs).toFixed(0)} ms |`;
  console.log(`\n${ROUNDS} rounds, ${N} nodes (one process), FRR as BIG-IP, SQLite datastore\n`);
  console.log("| from the CNI ADD's return | p50 | p90 | max |\n| --- | --- | --- | --- |");
  console.log(row("block at BIG-IP via its node", toBigip));
  console.log(row("block in all 9 other nodes' kernels", toKernels));
  console.log(row("(the ADD itself, plugin process incl. start)", addMs));
  console.log(
    `\nnew (11th) node fully meshed (start → every session Established on all 11): ${meshMs.toFixed(0)} ms`,
  );
} finally {
  for (const a of agents) await a.stop().catch(() => undefined);
  await frr?.stop();
  await store.close();
  await topo.destroy();
  rmSync(work, { recursive: true, force: true });
}
