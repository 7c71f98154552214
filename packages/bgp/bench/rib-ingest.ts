// Pure-RIB ingest micro-benchmark: IPv4 prefixes from 198.18.0.0/15 (and
// /24s past it, as needed) announced into a `Rib`, as a speaker would after
// decoding UPDATEs — batches of ~800 prefixes (what a 4,096-octet UPDATE
// holds) sharing one freshly decoded attribute list each. No sockets, no
// codec: this is the RIB core alone, not the side-by-side session benchmark
// (that one needs the speaker integration, see docs/benchmarks/bgp-rib.md).
//
//   npx tsx --expose-gc packages/bgp/bench/rib-ingest.ts            (all scenarios, 5 runs each)
//   BENCH_RUNS=3 npx tsx --expose-gc packages/bgp/bench/rib-ingest.ts one-peer
//   (for RSS without the tsx loader, bundle first:
//    npx esbuild packages/bgp/bench/rib-ingest.ts --bundle --platform=node --format=esm --outfile=/tmp/rib-ingest.mjs
//    node --expose-gc /tmp/rib-ingest.mjs)
//
// Scenarios (each run in a fresh child process, so peak RSS is its own):
//   one-peer       1 eBGP peer × 1,000,000 prefixes
//   ten-peers      10 eBGP peers × 100,000 distinct prefixes each (1,000,000 destinations)
//   ten-same       10 eBGP peers × the same 100,000 prefixes (1,000,000 paths, decision process runs)
//   export         one-peer, then the whole Loc-RIB exported to a second eBGP peer: startExport,
//                  then take() in slices of 10,000 until empty (timed: the export part only)
//   baseline       the same 1,000,000 prefix objects and attribute lists built, no RIB (the input's cost)
// Printed per scenario: medians of wall ms, CPU ms, heap used after GC (MB)
// and peak RSS (MB) over the runs, and the ratio to BIRD's figures for the
// full session ingest (0.87 s wall, 94 MB RSS: docs/benchmarks/bgp-rib.md).
import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Rib } from "../src/rib/rib.js";
import type { PathAttribute } from "../src/wire/attributes/table.js";
import type { Prefix } from "../src/wire/prefix.js";

const BATCH = 800;
const SCENARIOS = ["one-peer", "ten-peers", "ten-same", "export", "baseline"] as const;
type Scenario = (typeof SCENARIOS)[number];
const BIRD_WALL_MS = 870;
const BIRD_RSS_MB = 94;

interface Sample {
  wallMs: number;
  cpuMs: number;
  heapMb: number;
  rssMb: number;
  startRssMb: number;
  size: number;
  paths: number;
}

/** The i-th prefix: /32s of 198.18.0.0/15 first (131,072), then /24s from 198.20.0.0. */
function prefix(i: number): Prefix {
  if (i < 131072) {
    const a = 0xc6120000 + i;
    return {
      afi: 1,
      length: 32,
      bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255),
    };
  }
  const a = 0xc6140000 + (i - 131072) * 256;
  return { afi: 1, length: 24, bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255) };
}

/** A decoded attribute list as the UPDATE decoder returns it (fresh objects each UPDATE). */
function decodedAttributes(peer: number): PathAttribute[] {
  return [
    { type: "origin", origin: 0 },
    { type: "as-path", segments: [{ type: 2, asns: [65001 + peer, 64999] }] },
    { type: "next-hop", nextHop: `192.0.2.${1 + peer}` },
    { type: "med", med: 0 },
  ];
}

function run(s: Scenario): Sample {
  const peers = s === "one-peer" || s === "baseline" || s === "export" ? 1 : 10;
  const perPeer = peers === 1 ? 1_000_000 : 100_000;
  const rib = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
  for (let p = 0; p < peers; p++) {
    rib.addPeer({
      id: `p${p}`,
      address: `192.0.2.${1 + p}`,
      asn: 65001 + p,
      sharedSubnets: ["192.0.2.0/24"],
    });
  }
  if (s === "export")
    rib.addPeer({ id: "out", address: "192.0.2.100", asn: 65100, localAddress: "192.0.2.254" });
  globalThis.gc?.();
  const startRssMb = process.memoryUsage().rss / 2 ** 20;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let sink = 0;
  for (let p = 0; p < peers; p++) {
    const offset = s === "ten-peers" ? p * perPeer : 0;
    for (let i = 0; i < perPeer; i += BATCH) {
      const batch: Prefix[] = [];
      for (let k = i; k < Math.min(perPeer, i + BATCH); k++) batch.push(prefix(offset + k));
      const attributes = decodedAttributes(p);
      if (s === "baseline") sink += batch.length + attributes.length;
      else sink += rib.announce(`p${p}`, batch, { attributes }).deltas.length;
    }
  }
  if (s === "export") {
    globalThis.gc?.();
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    const out = rib.startExport("out");
    for (;;) {
      const b = out.take(10_000);
      if (b.announce.length === 0 && b.withdraw.length === 0) break;
      for (const g of b.announce) sink += g.prefixes.length;
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  globalThis.gc?.();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  let paths = 0;
  for (let p = 0; p < peers; p++) paths += rib.pathCount(`p${p}`);
  if (sink < 0) console.log(sink);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapMb,
    rssMb,
    startRssMb,
    size: rib.size,
    paths,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function child(s: Scenario): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ["--child", s], {
      execArgv: [...process.execArgv.filter((a) => a !== "--expose-gc"), "--expose-gc"],
    });
    c.once("message", (m) => resolve(m as Sample));
    c.once("error", reject);
    c.once("exit", (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
  });
}

if (process.argv[2] === "--child") {
  const s = process.argv[3] as Scenario;
  process.send!(run(s));
  process.exit(0);
} else {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const wanted = process.argv
    .slice(2)
    .filter((a): a is Scenario => (SCENARIOS as readonly string[]).includes(a));
  const list = wanted.length ? wanted : [...SCENARIOS];
  console.log(
    `rib-ingest: ${runs} runs per scenario, medians; Node ${process.version}; shared noisy machine, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  console.log(
    "scenario    destinations  paths      wall ms  CPU ms  heap MB  peak RSS MB  (at start)  wall/BIRD  CPU/BIRD  RSS/BIRD",
  );
  for (const s of list) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await child(s));
    const w = median(samples.map((x) => x.wallMs));
    const r = median(samples.map((x) => x.rssMb));
    console.log(
      [
        s.padEnd(11),
        String(samples[0]!.size).padStart(12),
        String(samples[0]!.paths).padStart(9),
        w.toFixed(0).padStart(9),
        median(samples.map((x) => x.cpuMs))
          .toFixed(0)
          .padStart(7),
        median(samples.map((x) => x.heapMb))
          .toFixed(0)
          .padStart(8),
        r.toFixed(0).padStart(12),
        median(samples.map((x) => x.startRssMb))
          .toFixed(0)
          .padStart(11),
        (w / BIRD_WALL_MS).toFixed(2).padStart(10),
        (median(samples.map((x) => x.cpuMs)) / BIRD_WALL_MS).toFixed(2).padStart(9),
        (r / BIRD_RSS_MB).toFixed(2).padStart(9),
      ].join(" "),
    );
    console.log(
      `            walls: ${samples.map((x) => x.wallMs.toFixed(0)).join(", ")} ms; CPU: ${samples.map((x) => x.cpuMs.toFixed(0)).join(", ")} ms; RSS: ${samples.map((x) => x.rssMb.toFixed(0)).join(", ")} MB`,
    );
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
}
