// Transit churn benchmark: an ExaBGP feeder announces 10,000 IPv4 /32s
// (198.18.0.0/15) to a transit speaker, which passes them on to a BIRD 2
// receiver; then the feeder changes them at a fixed rate (default 1,000
// changes/s for 10 s): each change, for a prefix chosen by a seeded PRNG,
// withdraws it, re-announces it, or re-announces it with a new community.
// At the end the receiver's table must equal the feeder's final state
// exactly (same prefixes, each with the community last sent and the AS path
// through the transit). The transit is, in turn and with the same sequence
// of changes, the Tortie library (its Speaker in a process of its own) and
// BIRD 2 — in one run, in network namespaces. Run as root:
//
//   npx tsx packages/bgp/bench/transit-churn.ts
//   options: --prefixes N (10,000), --rate R changes/s (1,000), --seconds S (10),
//            --runs R (3), --seed S
//
// Reported per transit: changes sent and the rate reached, convergence (last
// change written → receiver's table equal), the transit's CPU seconds from
// the start of the churn to convergence and its peak RSS; the run fails if
// the receiver's table never equals the feeder's state.
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  type Bird,
  createTopology,
  type Exabgp,
  missingPrereqs,
  parseBirdRoutes,
  sleep,
  startBird,
  startExabgp,
  waitFor,
} from "@tortie/testbed";
import { BirdSocket } from "./session/bird-socket.js";
import { bundle } from "./session/bundle.js";
import { benchPrefixes, describePrefixes } from "./session/prefixes.js";
import { cpuMs, loadAverage, nowMs, peakRssMb } from "./session/proc.js";
import { sourceVersion } from "./session/provenance.js";
import { type Receiver, tortieLibrary } from "./session/receivers.js";
import { median, num, ratio, table } from "./session/stats.js";

const { values: opt } = parseArgs({
  options: {
    prefixes: { type: "string", default: "10000" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    seed: { type: "string", default: "10" },
  },
});
const N = Number(opt.prefixes);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);
const RUNS = Number(opt.runs);
const TICK_MS = 10;

const missing = missingPrereqs(["root", "bird", "exabgp"]);
if (missing.length) {
  console.error(`bench/transit-churn: missing ${missing.join("; ")}`);
  process.exit(1);
}

const FEED = { address: "192.0.2.1", asn: 65001 };
const MID = { address: "192.0.2.2", asn: 65002 };
const RX = { address: "192.0.2.3", asn: 65003 };
const TRANSITS = ["bird", "tortie"] as const;
type Transit = (typeof TRANSITS)[number];
const LABEL: Record<Transit, string> = {
  bird: "BIRD 2.0.12 as transit",
  tortie: "Tortie library as transit",
};

/** mulberry32: a small seeded PRNG, so both transits see the same changes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  who: Transit;
  changes: number;
  rate: number;
  convergeMs: number;
  cpuMs: number;
  rssMb: number;
  load: string;
}

console.log(`packages/bgp/src at ${sourceVersion()}; ${new Date().toISOString()}`);
console.log(
  `transit churn: ${describePrefixes(N)}, ${RATE} changes/s for ${SECONDS} s, ExaBGP → transit → BIRD; ${RUNS} run(s); load ${loadAverage()}`,
);
const library = await bundle(new URL("./session/tortie-node.ts", import.meta.url).pathname);
const topo = await createTopology({
  hosts: ["feed", "mid", "rx"],
  segments: {
    lan: {
      members: {
        feed: [`${FEED.address}/24`],
        mid: [`${MID.address}/24`],
        rx: [`${RX.address}/24`],
      },
    },
  },
});
const prefixes = benchPrefixes(N);
const rows: Row[] = [];

/** The receiver's table: prefix → community, as BIRD shows it; undefined when a path is not the expected one. */
async function receiverTable(ctl: BirdSocket): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of parseBirdRoutes(await ctl.cmd("show route all protocol transit"))) {
    if (r.attrs["BGP.as_path"] !== `${MID.asn} ${FEED.asn}`) out.set(r.prefix, "bad as_path");
    else out.set(r.prefix, r.attrs["BGP.community"] ?? "");
  }
  return out;
}

function differences(want: Map<string, string>, got: Map<string, string>): string[] {
  const d: string[] = [];
  for (const [p, c] of want) if (got.get(p) !== c) d.push(`${p}: want ${c}, got ${got.get(p)}`);
  for (const p of got.keys()) if (!want.has(p)) d.push(`${p}: withdrawn, still held`);
  return d;
}

try {
  for (let run = 1; run <= RUNS; run++) {
    for (const who of TRANSITS) {
      let transit: Bird | Receiver | undefined;
      let rx: Bird | undefined;
      let feed: Exabgp | undefined;
      let wake: NodeJS.Timeout | undefined;
      try {
        transit =
          who === "bird"
            ? await startBird(topo.host("mid"), {
                routerId: MID.address,
                localAs: MID.asn,
                direct: false,
                peers: [
                  {
                    name: "feeder",
                    neighbor: FEED.address,
                    neighborAs: FEED.asn,
                    passive: true,
                    ipv4: { import: "all", export: "none" },
                  },
                  {
                    name: "receiver",
                    neighbor: RX.address,
                    neighborAs: RX.asn,
                    ipv4: { import: "none", export: "all" },
                  },
                ],
              })
            : await tortieLibrary(topo.host("mid"), library, {
                asn: MID.asn,
                routerId: MID.address,
                peers: [
                  { address: FEED.address, asn: FEED.asn, passive: true },
                  { address: RX.address, asn: RX.asn, connectRetryTime: 1 },
                ],
              });
        const pid = transit.pid!;
        // BIRD 2.0.12 holds back the tail of an export until woken (REAL-PEERS.md):
        // a BIRD transit is asked `show status` every 50 ms, as in the other benchmarks.
        const transitCtl = "ctl" in transit ? await BirdSocket.connect(transit.ctl) : undefined;
        wake = setInterval(() => void transitCtl?.cmd("show status").catch(() => {}), 50);
        rx = await startBird(topo.host("rx"), {
          routerId: RX.address,
          localAs: RX.asn,
          direct: false,
          peers: [
            {
              name: "transit",
              neighbor: MID.address,
              neighborAs: MID.asn,
              passive: true,
              ipv4: { import: "all", export: "none" },
            },
          ],
        });
        const ctl = await BirdSocket.connect(rx.ctl);
        await rx.waitEstablished("transit", { timeoutMs: 30_000 });
        feed = await startExabgp(topo.host("feed"), {
          routerId: FEED.address,
          localAddress: FEED.address,
          localAs: FEED.asn,
          neighbor: MID.address,
          peerAs: MID.asn,
        });
        await feed.waitUp({ timeoutMs: 60_000 });

        // Initial table: every prefix announced with community FEED:0.
        const want = new Map<string, string>();
        const lines: string[] = [];
        for (const p of prefixes) {
          lines.push(`announce route ${p} next-hop self community [${FEED.asn}:0]`);
          want.set(p, `(${FEED.asn},0)`);
        }
        feed.command(lines.join("\n"));
        await waitFor(async () => (await ctl.imported("transit")) === N, {
          timeoutMs: 120_000,
          intervalMs: 100,
          what: `receiver holds the initial ${N} routes through ${who}`,
        });

        // Churn.
        const rand = prng(Number(opt.seed));
        const total = RATE * SECONDS;
        const perTick = (RATE * TICK_MS) / 1000;
        let sent = 0;
        let serial = 0;
        const cpu0 = cpuMs(pid);
        const start = nowMs();
        while (sent < total) {
          const due = Math.min(total, Math.floor(((nowMs() - start) / TICK_MS + 1) * perTick));
          const batch: string[] = [];
          for (; sent < due; sent++) {
            const p = prefixes[Math.floor(rand() * N)]!;
            const r = rand();
            if (want.has(p) && r < 0.5) {
              batch.push(`withdraw route ${p} next-hop self`);
              want.delete(p);
            } else {
              serial = (serial % 65535) + 1;
              batch.push(`announce route ${p} next-hop self community [${FEED.asn}:${serial}]`);
              want.set(p, `(${FEED.asn},${serial})`);
            }
          }
          if (batch.length) feed.command(batch.join("\n"));
          await sleep(TICK_MS);
        }
        const last = nowMs();
        let diff: string[] = [];
        const converged = await waitFor(
          async () => {
            diff = differences(want, await receiverTable(ctl));
            return diff.length === 0 ? nowMs() : 0;
          },
          { timeoutMs: 120_000, intervalMs: 200, what: "receiver equals the feeder's state" },
        ).catch((e) => {
          throw new Error(
            `${who}: receiver never equalled the feeder's final state (${diff.length} differences, e.g. ${diff.slice(0, 5).join("; ")}): ${(e as Error).message}`,
          );
        });
        const row: Row = {
          who,
          changes: sent,
          rate: sent / ((last - start) / 1000),
          convergeMs: converged - last,
          cpuMs: cpuMs(pid) - cpu0,
          rssMb: peakRssMb(pid),
          load: loadAverage(),
        };
        rows.push(row);
        console.log(
          `run ${run} ${who}: ${num(row.changes)} changes at ${num(row.rate)}/s; receiver equal to the feeder ${num(row.convergeMs)} ms after the last change (${num(want.size)} routes); transit CPU ${num(row.cpuMs)} ms, peak RSS ${num(row.rssMb)} MiB; load ${row.load}`,
        );
        ctl.close();
      } finally {
        clearInterval(wake);
        await feed?.stop();
        await rx?.stop();
        await transit?.stop();
      }
    }
  }
  const stat = (who: Transit) => {
    const r = rows.filter((x) => x.who === who);
    return {
      rate: median(r.map((x) => x.rate)),
      conv: median(r.map((x) => x.convergeMs)),
      cpu: median(r.map((x) => x.cpuMs)),
      rss: median(r.map((x) => x.rssMb)),
    };
  };
  const bird = stat("bird");
  console.log(
    `\ntransit churn, ${describePrefixes(N)}, ${num(RATE * SECONDS)} changes at ${num(RATE)}/s, medians of ${RUNS}; receiver equal to the feeder's final state in every run; load at the end ${loadAverage()}:\n`,
  );
  console.log(
    table(
      [
        "transit",
        "changes/s reached",
        "convergence ms",
        "transit CPU s",
        "CPU × BIRD",
        "transit peak RSS MiB",
      ],
      TRANSITS.map((who) => {
        const s = stat(who);
        return [
          LABEL[who],
          num(s.rate),
          num(s.conv),
          num(s.cpu / 1000, 2),
          ratio(s.cpu, bird.cpu),
          num(s.rss),
        ];
      }),
    ),
  );
} finally {
  await topo.destroy();
  rmSync(library, { force: true });
}
