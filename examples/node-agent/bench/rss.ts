// Memory and install time with 100,000 learned routes, side by side: a
// tortie-node process and BIRD 2 (with its kernel protocol, as in
// calico-node) each receive the same 100,000 IPv4 prefixes from one BIRD
// feeder over eBGP and install them into their namespace's kernel table.
// Measured: RSS at rest (session up, no routes), time from Established until
// the kernel holds every route, and RSS with the routes. Medians of
// BENCH_RUNS (default 3) runs, alternating; RSS as VmRSS of the process.
//
//   BENCH_RUNS=3 npx tsx --conditions=source examples/node-agent/bench/rss.ts   (root)
//   BENCH_AGENT_NODE_OPTIONS=--max-old-space-size=300 …   (cap the agent's V8 heap)
//   BENCH_HEAP_SNAPSHOT=/tmp/agent.heapsnapshot …          (the agent's heap with the routes, run 1;
//                                                           read it with bench/heap-summary.ts)
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ResourceClient } from "@tortie/api";
import { SqliteStore } from "@tortie/datastore";
import { Netlink } from "@tortie/netlink";
import { createTopology, missingPrereqs, startBird, waitFor } from "@tortie/testbed";
import { AgentProcess } from "../src/testing/processes.js";

const N = Number(process.env.BENCH_PREFIXES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const missing = missingPrereqs(["root", "bird"]);
if (missing.length) {
  console.error(`bench/rss: ${missing.join("; ")}`);
  process.exit(1);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let len = 32; out.length < n; len--) {
    const step = 2 ** (32 - len);
    for (let a = 0xc6120000; a < 0xc6140000 && out.length < n; a += step)
      out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`);
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), "tortie-bench-rss-"));
const topo = await createTopology({
  hosts: ["feed", "tortie", "bird"],
  segments: {
    lan: { members: { feed: ["192.0.2.1/24"], tortie: ["192.0.2.2/24"], bird: ["192.0.2.3/24"] } },
  },
});
const store = new SqliteStore({ path: join(work, "store.db") });
const agent = new AgentProcess(topo.host("tortie"), join(work, "agent"), {
  IP: "192.0.2.2/24",
  AS: "65002",
  NODENAME: "tortie",
  TORTIE_DATASTORE_PATH: join(work, "store.db"),
  TORTIE_HEALTH_LISTEN: "",
  TORTIE_LOG_LEVEL: "warn",
  // e.g. BENCH_AGENT_NODE_OPTIONS=--max-old-space-size=300: is the growth garbage or kept?
  ...(process.env.BENCH_AGENT_NODE_OPTIONS || process.env.BENCH_HEAP_SNAPSHOT
    ? {
        NODE_OPTIONS: [
          process.env.BENCH_AGENT_NODE_OPTIONS ?? "",
          process.env.BENCH_HEAP_SNAPSHOT ? "--heapsnapshot-signal=SIGUSR2" : "",
        ]
          .join(" ")
          .trim(),
      }
    : {}),
});
const stops: (() => Promise<unknown>)[] = [];
try {
  const client = new ResourceClient(store);
  await client.apply({
    apiVersion: "projectcalico.org/v3",
    kind: "BGPPeer",
    metadata: { name: "feed" },
    spec: { peerIP: "192.0.2.1", asNumber: 65001 },
  });
  console.log(`feeder: BIRD with ${N.toLocaleString("en-US")} static routes…`);
  const feeder = await startBird(topo.host("feed"), {
    routerId: "192.0.2.1",
    localAs: 65001,
    direct: false,
    static4: prefixes(N),
    peers: ["tortie", "birdrx"].map((name, i) => ({
      name,
      neighbor: `192.0.2.${2 + i}`,
      neighborAs: 65002 + i,
      ipv4: { import: "none", export: "all" },
      extra: "  disabled;",
    })),
  });
  stops.push(() => feeder.stop());
  await waitFor(
    async () => (await feeder.birdc("show route count")).includes(`${N} of ${N} routes`),
    {
      timeoutMs: 120_000,
      what: "feeder loaded",
    },
  );
  const rx = await startBird(topo.host("bird"), {
    routerId: "192.0.2.3",
    localAs: 65003,
    direct: false,
    kernel: true,
    peers: [
      {
        name: "feeder",
        neighbor: "192.0.2.1",
        neighborAs: 65001,
        ipv4: { import: "all", export: "none" },
      },
    ],
  });
  stops.push(() => rx.stop());
  agent.start();
  stops.push(() => agent.stop());
  await waitFor(async () => (await agent.status())?.agent.ready, {
    what: "agent ready",
    timeoutMs: 30_000,
  });
  const wake = setInterval(() => void feeder.birdc("show status").catch(() => {}), 50);
  stops.push(async () => clearInterval(wake));
  const nlT = await Netlink.open({ netns: topo.host("tortie").nsPath });
  const nlB = await Netlink.open({ netns: topo.host("bird").nsPath });
  const count = async (nl: Netlink, proto: number) =>
    (await nl.routes.list({ family: 4, protocol: proto })).length;
  const rows = {
    tortie: { ms: [] as number[], rest: [] as number[], full: [] as number[] },
    bird: { ms: [] as number[], rest: [] as number[], full: [] as number[] },
  };
  const agentPid = agent.daemon!.pid!;
  const loads: number[] = [];
  // at rest: session up, no routes yet (later runs' "rest" is after routes came and went)
  const restT = rssMb(agentPid);
  const restB = rssMb(rx.pid!);
  for (let run = 0; run < RUNS; run++) {
    // BIRD (proto bird = 12)
    rows.bird.rest.push(rssMb(rx.pid!));
    await feeder.birdc("enable birdrx");
    await waitFor(async () => (await rx.protocol("feeder"))?.info.startsWith("Established"), {
      intervalMs: 5,
      timeoutMs: 30_000,
    });
    let t0 = performance.now();
    await waitFor(async () => (await count(nlB, 12)) >= N, {
      intervalMs: 50,
      timeoutMs: 300_000,
      what: "BIRD's routes in the kernel",
    });
    rows.bird.ms.push(performance.now() - t0);
    rows.bird.full.push(rssMb(rx.pid!));
    await feeder.birdc("disable birdrx");
    await waitFor(async () => (await count(nlB, 12)) === 0, { timeoutMs: 120_000 });
    // tortie-node (proto 84)
    rows.tortie.rest.push(rssMb(agentPid));
    await feeder.birdc("enable tortie");
    await waitFor(async () => (await agent.status())?.bgp.peers[0]?.state === "Established", {
      intervalMs: 5,
      timeoutMs: 60_000,
    });
    t0 = performance.now();
    await waitFor(async () => (await count(nlT, 84)) >= N, {
      intervalMs: 50,
      timeoutMs: 300_000,
      what: "tortie-node's routes in the kernel",
    });
    rows.tortie.ms.push(performance.now() - t0);
    rows.tortie.full.push(rssMb(agentPid));
    loads.push(loadavg()[0]!);
    const snapTo = process.env.BENCH_HEAP_SNAPSHOT;
    if (snapTo && run === 0) {
      // V8 writes Heap.<date>.heapsnapshot into the agent's working folder
      process.kill(agentPid, "SIGUSR2");
      const dir = join(work, "agent", "run");
      let size = -1;
      const file = await waitFor(
        () => {
          const f = readdirSync(dir).find((n) => n.endsWith(".heapsnapshot"));
          if (!f) return undefined;
          const now = statSync(join(dir, f)).size;
          const done = now > 0 && now === size; // unchanged for one interval: written
          size = now;
          return done ? f : undefined;
        },
        { what: "heap snapshot", timeoutMs: 300_000, intervalMs: 3000 },
      );
      copyFileSync(join(dir, file), snapTo);
      console.log(`heap snapshot of the agent with the routes: ${snapTo}`);
    }
    await feeder.birdc("disable tortie");
    await waitFor(async () => (await count(nlT, 84)) === 0, { timeoutMs: 120_000 });
    console.log(
      `run ${run + 1}: BIRD ${rows.bird.ms.at(-1)!.toFixed(0)} ms, ${rows.bird.full.at(-1)!.toFixed(0)} MB; tortie-node ${rows.tortie.ms.at(-1)!.toFixed(0)} ms, ${rows.tortie.full.at(-1)!.toFixed(0)} MB`,
    );
  }
  nlT.close();
  nlB.close();
  const t = rows.tortie;
  const b = rows.bird;
  console.log(`\n${N.toLocaleString("en-US")} prefixes, medians of ${RUNS} runs`);
  console.log(
    `load average (1 min) when each run's routes were in: ${loads.map((l) => l.toFixed(1)).join(" / ")}\n`,
  );
  console.log("| | tortie-node | BIRD 2 (kernel protocol) | ratio |\n| --- | --- | --- | --- |");
  console.log(
    `| RSS at rest (session up, before any route) | ${restT.toFixed(0)} MB | ${restB.toFixed(0)} MB | ${(restT / restB).toFixed(1)}× |`,
  );
  console.log(
    `| RSS after the routes came and went (median of later runs' start) | ${median(t.rest.slice(1).length ? t.rest.slice(1) : t.rest).toFixed(0)} MB | ${median(b.rest.slice(1).length ? b.rest.slice(1) : b.rest).toFixed(0)} MB | |`,
  );
  console.log(
    `| RSS with the routes | ${median(t.full).toFixed(0)} MB | ${median(b.full).toFixed(0)} MB | ${(median(t.full) / median(b.full)).toFixed(1)}× |`,
  );
  console.log(
    `| Established → all in the kernel | ${median(t.ms).toFixed(0)} ms | ${median(b.ms).toFixed(0)} ms | ${(median(t.ms) / median(b.ms)).toFixed(2)}× |`,
  );
} finally {
  for (const s of stops.reverse()) await s().catch(() => undefined);
  await store.close();
  await topo.destroy();
  rmSync(work, { recursive: true, force: true });
}
