// Ingest benchmark: IPv4 prefixes from BIRD feeders over real eBGP sessions,
// received in turn by BIRD 2, the Tortie library (its Speaker in a process
// of its own, with node's defaults: `tortie`; with the node flags the
// daemon runs with: `tortie-tuned`), the `tortie-bgp` daemon (default log
// level, stdout to a file), FRR's bgpd and GoBGP — all in one run, on this
// machine, in network namespaces. Run as root from the repository root:
//
//   npx tsx packages/bgp/bench/ingest.ts                 100,000 prefixes, 1 feeder, 3 runs
//   npx tsx packages/bgp/bench/ingest.ts --full          1,000,000 prefixes
//   npx tsx packages/bgp/bench/ingest.ts --feeders 10    10 BIRD feeders × the same 100,000
//   options: --prefixes N (per feeder), --runs R, --receivers bird,tortie,…,
//            --timeout S (600: a receiver not done by then is reported as such),
//            --poll-ms M (poll every receiver every M ms instead of 10 / GoBGP 100),
//            --tortie-export none|all (none, the default: the Tortie receivers
//            reject every route on export, as the BIRD receiver's `export none`;
//            all: Tortie's default policy, re-advertising to every other feeder),
//            --feed bird|replay (bird, the default: BIRD feeders export their
//            table in each run; replay: what each BIRD feeder sends is captured
//            once and replayed by session/replay-feed.ts as fast as TCP takes
//            it, so that the receiver, not the feeder, sets the pace)
//
// Each run starts every receiver afresh (so its peak RSS is its own), enables
// the feeders' sessions towards it, and measures from Established (as the
// feeder reports it, polled every 5 ms on its control socket) until the
// receiver holds every route (polled every 10 ms; GoBGP every 100 ms). CPU is
// utime+stime of the receiver process from just before the sessions are
// enabled until it holds them all (and the feeders' together over the same
// window); peak RSS is its VmHWM one second later. The feeders' wait for a
// CPU (schedstat) over the window shows what the receiver's threads took
// from them on a shared machine: BIRD is one thread, Node has V8's helpers.
// The feeders are asked `show status` every 50 ms: BIRD 2.0.12 otherwise
// holds back the tail of an export for up to ~3 s (REAL-PEERS.md).
// Printed: each run, then medians per receiver with ratios to BIRD (of the
// medians, and the median of each run's ratio to the BIRD run before it).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type Bird,
  createTopology,
  type Host,
  missingPrereqs,
  sleep,
  startBird,
  WaitTimeoutError,
  waitFor,
} from "@tortie/testbed";
import { BirdSocket } from "./session/bird-socket.js";
import { bundle } from "./session/bundle.js";
import { benchPrefixes, describePrefixes } from "./session/prefixes.js";
import {
  cpuMs,
  cpuSplitMs,
  loadAverage,
  mainThreadCpuMs,
  minorFaults,
  nowMs,
  peakRssMb,
  runqueueWaitMs,
  threadCpuMs,
} from "./session/proc.js";
import { sourceVersion } from "./session/provenance.js";
import {
  type Feeder,
  RECEIVER_LABEL,
  RECEIVERS,
  type ReceiverName,
  RX_ADDRESS,
  RX_AS,
  startReceiver,
  within,
} from "./session/receivers.js";
import { capture, ReplayFeeders } from "./session/replay-feeders.js";
import { median, num, ratio, table } from "./session/stats.js";

const { values: opt } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    prefixes: { type: "string" },
    feeders: { type: "string", default: "1" },
    runs: { type: "string", default: "3" },
    receivers: { type: "string", default: RECEIVERS.join(",") },
    timeout: { type: "string", default: "600" },
    "poll-ms": { type: "string" },
    "tortie-export": { type: "string", default: "none" },
    feed: { type: "string", default: "bird" },
  },
});
const N = Number(opt.prefixes ?? (opt.full ? 1_000_000 : 100_000));
const FEEDERS = Number(opt.feeders);
const RUNS = Number(opt.runs);
const names = opt.receivers.split(",") as ReceiverName[];
for (const n of names)
  if (!RECEIVERS.includes(n))
    throw new Error(`unknown receiver ${n}: one of ${RECEIVERS.join(", ")}`);
if (!(N > 0 && FEEDERS >= 1 && FEEDERS <= 50 && RUNS >= 1))
  throw new Error("--prefixes, --feeders (1–50) and --runs must be positive");
const EXPECT = N * FEEDERS;
const TIMEOUT_S = Number(opt.timeout);
const POLL_MS = opt["poll-ms"] === undefined ? undefined : Number(opt["poll-ms"]);
// BENCH_NSTAT=1: print the receiver's namespace's TCP counters that moved in each run.
const NSTAT = process.env.BENCH_NSTAT !== undefined;
// BENCH_THREADS=1: print the CPU each of the receiver's threads used in each run.
const THREADS = process.env.BENCH_THREADS !== undefined;

/** TcpExt and Tcp counters of a host's network namespace (/proc/net/netstat, /proc/net/snmp). */
async function tcpCounters(host: Host): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const file of ["/proc/net/netstat", "/proc/net/snmp"]) {
    const lines = (await host.exec(["cat", file])).stdout.trim().split("\n");
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      if (names[0] !== "TcpExt:" && names[0] !== "Tcp:") continue;
      for (let k = 1; k < names.length; k++) out.set(names[k]!, Number(values[k]));
    }
  }
  return out;
}
const TORTIE_EXPORT = opt["tortie-export"];
const FEED = opt.feed;
if (FEED !== "bird" && FEED !== "replay") throw new Error("--feed must be bird or replay");
if (TORTIE_EXPORT !== "none" && TORTIE_EXPORT !== "all")
  throw new Error("--tortie-export must be none or all");

const missing = missingPrereqs(["root", "bird", "frr", "gobgp"]);
if (missing.length) {
  console.error(`bench/ingest: missing ${missing.join("; ")}`);
  process.exit(1);
}

interface Row {
  who: ReceiverName;
  run: number;
  wallMs: number;
  cpuMs: number;
  /** CPU of all the feeders together over the same window. */
  feedCpuMs: number;
  /**
   * How long the feeders together waited for a CPU in the window: what the
   * receiver's threads (and anything else) took from them on a shared machine.
   */
  feedWaitMs: number;
  /** From the first feeder session Established to the last (polled every 5 ms). */
  allUpMs: number;
  rssMb: number;
  logKb?: number;
  load: string;
}

console.log(`packages/bgp/src at ${sourceVersion()}; ${new Date().toISOString()}`);
console.log(
  `ingest: ${FEEDERS} ${FEED === "bird" ? "BIRD feeder(s)" : "replay feeder(s) (BIRD's UPDATEs, captured)"} × ${describePrefixes(N)}; receivers ${names.join(", ")} (Tortie export ${TORTIE_EXPORT}); ${RUNS} run(s); load ${loadAverage()}`,
);
const bundles = {
  library: await bundle(new URL("./session/tortie-node.ts", import.meta.url).pathname),
  daemon: await bundle(new URL("../src/cli/tortie-bgp.ts", import.meta.url).pathname),
};
const replayEntry =
  FEED === "replay"
    ? await bundle(new URL("./session/replay-feed.ts", import.meta.url).pathname)
    : undefined;
const captureDir = replayEntry ? mkdtempSync(join(tmpdir(), "tortie-bench-capture-")) : "";
const feeders: Feeder[] = Array.from({ length: FEEDERS }, (_, k) => ({
  address: `192.0.2.${11 + k}`,
  asn: 65011 + k,
}));
const feederHosts = feeders.map((_, k) => `feed${k}`);
const topo = await createTopology({
  hosts: ["rx", ...feederHosts],
  segments: {
    lan: {
      members: {
        rx: [`${RX_ADDRESS}/24`],
        ...Object.fromEntries(feeders.map((f, k) => [feederHosts[k]!, [`${f.address}/24`]])),
      },
    },
  },
});
const rows: Row[] = [];
try {
  const list = benchPrefixes(N);
  const t = nowMs();
  // One after another: ten BIRDs parsing their static routes at once on two
  // busy cores can take longer than startBird's wait for the control socket.
  const birds: Bird[] = [];
  for (const [k, f] of feeders.entries())
    birds.push(
      await startBird(topo.host(feederHosts[k]!), {
        routerId: f.address,
        localAs: f.asn,
        direct: false,
        static4: list,
        peers: [
          {
            name: "receiver",
            neighbor: RX_ADDRESS,
            neighborAs: RX_AS,
            ipv4: { import: "none", export: "all" },
            extra: "  disabled;",
          },
        ],
      }),
    );
  const ctl = await Promise.all(birds.map((b) => BirdSocket.connect(b.ctl)));
  // The feeders' own pids (BIRD writes them; the Daemon's child may be a wrapper).
  const feederPids = birds.map((b) => Number(readFileSync(join(b.dir, "bird.pid"), "utf8")));
  const feedersCpu = (pids: number[]) => pids.reduce((a, pid) => a + cpuMs(pid), 0);
  const feedersWait = (pids: number[]) => pids.reduce((a, pid) => a + runqueueWaitMs(pid), 0);
  await Promise.all(
    ctl.map((c) =>
      waitFor(async () => (await c.cmd("show route count")).includes(`${N} of ${N} routes`), {
        timeoutMs: 600_000,
        intervalMs: 500,
        what: "feeder loaded its static routes",
      }),
    ),
  );
  console.log(`feeders loaded in ${num((nowMs() - t) / 1000, 1)} s`);
  // --feed replay: what each BIRD feeder sends, captured once, replayed in every run.
  const captures = replayEntry ? feeders.map((_, k) => join(captureDir, `feeder${k}.bin`)) : [];
  if (replayEntry)
    for (const [k, c] of ctl.entries()) {
      const got = await capture(
        topo.host("rx"),
        replayEntry,
        c,
        RX_ADDRESS,
        RX_AS,
        N,
        captures[k]!,
      );
      console.log(`feeder ${k}: captured ${num(got.messages)} UPDATEs, ${num(got.octets)} octets`);
    }

  for (let run = 1; run <= RUNS; run++) {
    for (const who of names) {
      const rx = await startReceiver(who, topo.host("rx"), feeders, bundles, TORTIE_EXPORT);
      const replay = replayEntry
        ? await ReplayFeeders.start(
            feederHosts.map((h) => topo.host(h)),
            feeders,
            replayEntry,
            captures,
            RX_ADDRESS,
          ).catch(async (e) => {
            await rx.stop();
            throw e;
          })
        : undefined;
      const pids = replay?.pids ?? feederPids;
      try {
        const cpu0 = cpuMs(rx.pid);
        const main0 = mainThreadCpuMs(rx.pid);
        const faults0 = minorFaults(rx.pid);
        const feed0 = feedersCpu(pids);
        const wait0 = feedersWait(pids);
        const nstat0 = NSTAT ? await tcpCounters(topo.host("rx")) : undefined;
        const threads0 = THREADS ? threadCpuMs(rx.pid) : undefined;
        const split0 = THREADS ? pids.map(cpuSplitMs) : undefined;
        if (replay) replay.go();
        else await Promise.all(ctl.map((c) => c.cmd("enable receiver")));
        const t0 = replay
          ? await within(replay.first(), 60_000)
          : await waitFor(
              async () => {
                const infos = await Promise.all(ctl.map((c) => c.protocolInfo("receiver")));
                return infos.some((i) => i.startsWith("Established")) ? nowMs() : 0;
              },
              { intervalMs: 5, timeoutMs: 60_000, what: `${who}: a feeder session Established` },
            );
        // When the other sessions come up: a receiver busy with the first
        // sessions' tables may answer the later ones' OPENs late.
        const up = new Array<boolean>(ctl.length).fill(false);
        let allUp = Number.NaN;
        const watchUp = (async () => {
          if (replay) {
            allUp = await within(replay.last(), 60_000);
            return;
          }
          while (Number.isNaN(allUp) && nowMs() - t0 < 60_000) {
            const infos = await Promise.all(
              ctl.map((c, k) => (up[k] ? "Established" : c.protocolInfo("receiver"))),
            );
            infos.forEach((i, k) => {
              if (i.startsWith("Established")) up[k] = true;
            });
            if (up.every(Boolean)) allUp = nowMs();
            else await sleep(5);
          }
        })();
        const wake = replay
          ? undefined
          : setInterval(() => {
              for (const c of ctl) void c.cmd("show status").catch(() => {});
            }, 50);
        let t1 = Number.NaN;
        let held = 0;
        try {
          t1 = await waitFor(
            async () => {
              // A receiver too busy to answer for 10 s counts as "not yet".
              held = await within(rx.held(), 10_000);
              return held >= EXPECT ? nowMs() : 0;
            },
            {
              intervalMs: POLL_MS ?? rx.pollMs,
              timeoutMs: TIMEOUT_S * 1000,
              what: `${who} holds them all`,
            },
          );
        } catch (e) {
          if (!(e instanceof WaitTimeoutError)) throw e;
          // Recorded as not finished (no wall time); the other receivers still run.
          console.log(
            `run ${run} ${who}: held ${num(held)} of ${num(EXPECT)} after ${TIMEOUT_S} s`,
          );
        } finally {
          clearInterval(wake);
        }
        await watchUp;
        const cpu = cpuMs(rx.pid) - cpu0;
        const mainCpu = mainThreadCpuMs(rx.pid) - main0;
        const faults = minorFaults(rx.pid) - faults0;
        const feedCpu = feedersCpu(pids) - feed0;
        const feedWait = feedersWait(pids) - wait0;
        if (threads0) {
          const used = [...threadCpuMs(rx.pid)]
            .map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const)
            .filter(([, v]) => v > 0);
          console.log(
            `run ${run} ${who}: threads' CPU ms: ${used.map(([k, v]) => `${k} ${num(v)}`).join(", ")}`,
          );
          const split = pids.map(cpuSplitMs);
          const user = split.reduce((a, s, k) => a + s.user - (split0?.[k]?.user ?? 0), 0);
          const sys = split.reduce((a, s, k) => a + s.sys - (split0?.[k]?.sys ?? 0), 0);
          console.log(`run ${run} ${who}: feeders' CPU ms: user ${num(user)}, system ${num(sys)}`);
        }
        if (nstat0) {
          const now = await tcpCounters(topo.host("rx"));
          const moved = [...now].filter(([k, v]) => v !== (nstat0.get(k) ?? 0));
          console.log(
            `run ${run} ${who}: receiver's TCP counters: ${moved.map(([k, v]) => `${k} +${num(v - (nstat0.get(k) ?? 0))}`).join(", ")}`,
          );
        }
        await sleep(1000);
        const row: Row = {
          who,
          run,
          wallMs: t1 - t0,
          cpuMs: cpu,
          feedCpuMs: feedCpu,
          feedWaitMs: feedWait,
          allUpMs: allUp - t0,
          rssMb: peakRssMb(rx.pid),
          load: loadAverage(),
          ...(rx.logBytes ? { logKb: rx.logBytes() / 1024 } : {}),
        };
        rows.push(row);
        console.log(
          `run ${run} ${who}: ${num(row.wallMs)} ms wall, ${num(row.cpuMs)} ms CPU (main thread ${num(mainCpu)} ms, ${num(faults)} page faults; feeders ${num(row.feedCpuMs)} ms, waited ${num(row.feedWaitMs)} ms for a CPU; last session up after ${num(row.allUpMs)} ms), peak RSS ${num(row.rssMb)} MiB${row.logKb !== undefined ? `, ${num(row.logKb)} KiB of log` : ""}; load ${row.load}`,
        );
      } finally {
        if (replay) await replay.stop();
        else await Promise.all(ctl.map((c) => c.cmd("disable receiver")));
        await rx.stop();
      }
    }
  }

  const stat = (who: ReceiverName) => {
    const r = rows.filter((x) => x.who === who);
    const logs = r.map((x) => x.logKb).filter((x): x is number => x !== undefined);
    return {
      wall: median(r.map((x) => x.wallMs)),
      cpu: median(r.map((x) => x.cpuMs)),
      feedCpu: median(r.map((x) => x.feedCpuMs)),
      feedWait: median(r.map((x) => x.feedWaitMs)),
      allUp: median(r.map((x) => x.allUpMs)),
      rss: median(r.map((x) => x.rssMb)),
      log: logs.length ? median(logs) : undefined,
      // Each run's wall against BIRD's in the same run (BIRD runs first in
      // every run): steadier than the ratio of medians when the load drifts.
      runRatio: median(
        r.flatMap((x) => {
          const b = rows.find((y) => y.who === "bird" && y.run === x.run);
          return b && Number.isFinite(b.wallMs) ? [x.wallMs / b.wallMs] : [];
        }),
      ),
      walls: r.map((x) => num(x.wallMs)).join(", "),
      unfinished: r.filter((x) => !Number.isFinite(x.wallMs)).length,
    };
  };
  const bird = stat("bird");
  console.log(
    `\ningest of ${num(EXPECT)} routes (${FEEDERS} feeder(s) × ${describePrefixes(N)}), Established → all held, medians of ${RUNS}; load at the end ${loadAverage()}:\n`,
  );
  console.log(
    table(
      [
        "receiver",
        "wall ms",
        "CPU s",
        "peak RSS MiB",
        "wall × BIRD",
        "wall × BIRD, median of the runs' ratios",
        "CPU × BIRD",
        "RSS × BIRD",
        "feeders' CPU s",
        "feeders' wait for a CPU ms",
        "last session Established after ms",
        "wall ms of each run",
      ],
      names.map((who) => {
        const s = stat(who);
        return [
          `${RECEIVER_LABEL[who]}${s.log !== undefined ? ` (${num(s.log)} KiB of stdout)` : ""}${s.unfinished ? ` (${s.unfinished} run(s) not done in ${TIMEOUT_S} s)` : ""}`,
          num(s.wall),
          num(s.cpu / 1000, 2),
          num(s.rss),
          ratio(s.wall, bird.wall),
          ratio(s.runRatio, 1),
          ratio(s.cpu, bird.cpu),
          ratio(s.rss, bird.rss),
          num(s.feedCpu / 1000, 2),
          num(s.feedWait),
          num(s.allUp),
          s.walls,
        ];
      }),
    ),
  );
  for (const c of ctl) c.close();
  await Promise.all(birds.map((b) => b.stop()));
} finally {
  await topo.destroy();
  rmSync(bundles.library, { force: true });
  rmSync(bundles.daemon, { force: true });
  if (replayEntry) rmSync(replayEntry, { force: true });
  if (captureDir) rmSync(captureDir, { recursive: true, force: true });
}
