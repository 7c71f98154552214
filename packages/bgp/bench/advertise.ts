// Advertise benchmark: Tortie — the library's Speaker in a process of its
// own, and the `tortie-bgp` daemon — originates N IPv4 prefixes to a
// receiving BIRD 2, next to a BIRD 2 originating the same N (static routes)
// to the same receiver — in one run, alternating, in network namespaces. Run as root from the repository root:
//
//   npx tsx packages/bgp/bench/advertise.ts               100,000 prefixes, 3 runs
//   npx tsx packages/bgp/bench/advertise.ts --full        1,000,000
//   options: --prefixes N, --runs R, --origins bird,tortie,tortie-bgp,tortie-bgp-stream
//
// The receiver's session towards one origin is enabled at a time (both
// origins are passive); the clock runs from Established (the receiver's
// `show protocols`, polled every 5 ms on its control socket) until its
// channel has imported all N (`show protocols all`, polled every 10 ms).
// Tortie's origins are started afresh each run with their N routes already
// originated (the library through `originatePrefixes()`, 10,000 a call; the
// daemon from the `originate:` list of its configuration file — its static
// routes — or streamed over its control socket, `originate-prefixes` lines of
// 3,000 on one connection); BIRD's origin loads its static routes once. The BIRD origin
// is asked `show status` every 50 ms during every run: BIRD 2.0.12 otherwise
// holds back the tail of an export for up to ~3 s (REAL-PEERS.md). CPU is
// utime+stime of the origin and of the receiver over the run; the origin's
// peak RSS is its VmHWM at the end of the run (since it started: for BIRD
// that includes loading its static routes, for Tortie originating them).
import { rmSync } from "node:fs";
import { createConnection } from "node:net";
import { parseArgs } from "node:util";
import { createTopology, missingPrereqs, startBird, waitFor } from "@tortie/testbed";
import { BirdSocket } from "./session/bird-socket.js";
import { bundle } from "./session/bundle.js";
import { benchPrefix, benchPrefixes, describePrefixes } from "./session/prefixes.js";
import { cpuMs, loadAverage, nowMs, peakRssMb } from "./session/proc.js";
import { sourceVersion } from "./session/provenance.js";
import { startTortieDaemon, tortieLibrary } from "./session/receivers.js";
import { median, num, ratio, table } from "./session/stats.js";

const { values: opt } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    prefixes: { type: "string" },
    runs: { type: "string", default: "3" },
    origins: { type: "string", default: "bird,tortie,tortie-bgp,tortie-bgp-stream" },
  },
});
const N = Number(opt.prefixes ?? (opt.full ? 1_000_000 : 100_000));
const RUNS = Number(opt.runs);
if (!(N > 0 && RUNS >= 1)) throw new Error("--prefixes and --runs must be positive");

const missing = missingPrereqs(["root", "bird"]);
if (missing.length) {
  console.error(`bench/advertise: missing ${missing.join("; ")}`);
  process.exit(1);
}

const ALL_ORIGINS = ["bird", "tortie", "tortie-bgp", "tortie-bgp-stream"] as const;
type Origin = (typeof ALL_ORIGINS)[number];
const ORIGINS = opt.origins.split(",") as Origin[];
for (const o of ORIGINS)
  if (!ALL_ORIGINS.includes(o))
    throw new Error(`unknown origin ${o}: one of ${ALL_ORIGINS.join(", ")}`);
if (!ORIGINS.includes("bird")) throw new Error("--origins must include bird (the yardstick)");
const LABEL: Record<Origin, string> = {
  bird: "BIRD 2.0.12 originating",
  tortie: "Tortie library originating",
  "tortie-bgp": "tortie-bgp daemon, static routes in its file",
  "tortie-bgp-stream": "tortie-bgp daemon, routes streamed over its control socket",
};
/** The receiver's protocol towards an origin ("bird" is a keyword of BIRD's configuration). */
const proto = (o: Origin) => `from_${o.replaceAll("-", "_")}`;
const RX = { address: "192.0.2.3", asn: 65003 };
const ADDR: Record<Origin, { address: string; asn: number }> = {
  bird: { address: "192.0.2.1", asn: 65001 },
  tortie: { address: "192.0.2.2", asn: 65002 },
  "tortie-bgp": { address: "192.0.2.4", asn: 65004 },
  "tortie-bgp-stream": { address: "192.0.2.5", asn: 65005 },
};
const HOST: Record<Origin, string> = {
  bird: "birdorg",
  tortie: "tortie",
  "tortie-bgp": "tbgp",
  "tortie-bgp-stream": "tbgps",
};

interface Row {
  who: Origin;
  wallMs: number;
  originCpuMs: number;
  rxCpuMs: number;
  originRssMb: number;
  load: string;
}

console.log(`packages/bgp/src at ${sourceVersion()}; ${new Date().toISOString()}`);
console.log(
  `advertise: ${describePrefixes(N)} to a BIRD receiver; ${RUNS} run(s); load ${loadAverage()}`,
);
const library = await bundle(new URL("./session/tortie-node.ts", import.meta.url).pathname);
const daemon = await bundle(new URL("../src/cli/tortie-bgp.ts", import.meta.url).pathname);
const topo = await createTopology({
  hosts: ["rx", ...ORIGINS.map((o) => HOST[o])],
  segments: {
    lan: {
      members: {
        rx: [`${RX.address}/24`],
        ...Object.fromEntries(ORIGINS.map((o) => [HOST[o], [`${ADDR[o].address}/24`]])),
      },
    },
  },
});

/** A fresh Tortie origin (library or daemon) holding the N routes, passive towards the receiver. */
async function tortieOrigin(who: Exclude<Origin, "bird">) {
  const config = {
    asn: ADDR[who].asn,
    routerId: ADDR[who].address,
    peers: [{ address: RX.address, asn: RX.asn, passive: true }],
  };
  if (who === "tortie") return tortieLibrary(topo.host(HOST[who]), library, config, N);
  const t0 = nowMs();
  // The daemon's static routes: the N prefixes in its configuration file's
  // `originate:` list (JSON), loaded at start-up; or streamed over its
  // control socket, `originate-prefixes` lines of 3,000 on one connection.
  const d = await startTortieDaemon(
    topo.host(HOST[who]),
    daemon,
    who === "tortie-bgp"
      ? { ...config, originate: benchPrefixes(N).map((prefix) => ({ prefix })) }
      : config,
  );
  if (who === "tortie-bgp-stream") await stream(d.socket);
  const s = (await d.control({ cmd: "status" })) as { originatedCount?: number };
  if (s.originatedCount !== N)
    throw new Error(`tortie-bgp holds ${s.originatedCount} originated routes, not ${N}`);
  loadMs[who].push(nowMs() - t0);
  return d;
}
/** Per daemon start: from spawning it until it answers with its N routes originated. */
const loadMs: Record<"tortie-bgp" | "tortie-bgp-stream", number[]> = {
  "tortie-bgp": [],
  "tortie-bgp-stream": [],
};

/** Streams the N prefixes to a daemon's control socket, 3,000 a line, all answers read. */
function stream(path: string): Promise<void> {
  const PER = 3000;
  const lines = Math.ceil(N / PER);
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = "";
    let answered = 0;
    c.setEncoding("utf8");
    c.on("error", reject);
    c.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.includes('"error"')) reject(new Error(`tortie-bgp originate-prefixes: ${line}`));
        if (++answered === lines) {
          c.end();
          resolve();
        }
      }
    });
    c.on("connect", () => {
      for (let k = 0; k < lines; k++) {
        const prefixes: string[] = [];
        for (let i = k * PER; i < Math.min(N, (k + 1) * PER); i++) prefixes.push(benchPrefix(i));
        c.write(`${JSON.stringify({ cmd: "originate-prefixes", prefixes })}\n`);
      }
    });
  });
}
const rows: Row[] = [];
try {
  const origin = await startBird(topo.host("birdorg"), {
    routerId: ADDR.bird.address,
    localAs: ADDR.bird.asn,
    direct: false,
    static4: benchPrefixes(N),
    peers: [
      {
        name: "receiver",
        neighbor: RX.address,
        neighborAs: RX.asn,
        passive: true,
        ipv4: { import: "none", export: "all" },
      },
    ],
  });
  const originCtl = await BirdSocket.connect(origin.ctl);
  await waitFor(async () => (await originCtl.cmd("show route count")).includes(`${N} of ${N}`), {
    timeoutMs: 600_000,
    intervalMs: 500,
    what: "BIRD origin loaded its static routes",
  });
  const rx = await startBird(topo.host("rx"), {
    routerId: RX.address,
    localAs: RX.asn,
    direct: false,
    peers: ORIGINS.map((o) => ({
      name: proto(o),
      neighbor: ADDR[o].address,
      neighborAs: ADDR[o].asn,
      ipv4: { import: "all", export: "none" },
      extra: "  disabled;",
    })),
  });
  const rxCtl = await BirdSocket.connect(rx.ctl);

  for (let run = 1; run <= RUNS; run++) {
    for (const who of ORIGINS) {
      const tortie = who === "bird" ? undefined : await tortieOrigin(who);
      const originPid = tortie?.pid ?? origin.pid!;
      try {
        const o0 = cpuMs(originPid);
        const r0 = cpuMs(rx.pid!);
        await rxCtl.cmd(`enable ${proto(who)}`);
        const t0 = await waitFor(
          async () =>
            (await rxCtl.protocolInfo(proto(who))).startsWith("Established") ? nowMs() : 0,
          { intervalMs: 5, timeoutMs: 60_000, what: `receiver's session to ${who} Established` },
        );
        const wake = setInterval(() => void originCtl.cmd("show status").catch(() => {}), 50);
        let t1: number;
        try {
          t1 = await waitFor(async () => ((await rxCtl.imported(proto(who))) >= N ? nowMs() : 0), {
            intervalMs: 10,
            timeoutMs: 900_000,
            what: `receiver holds ${N} routes from ${who}`,
          });
        } finally {
          clearInterval(wake);
        }
        const row: Row = {
          who,
          wallMs: t1 - t0,
          originCpuMs: cpuMs(originPid) - o0,
          rxCpuMs: cpuMs(rx.pid!) - r0,
          originRssMb: peakRssMb(originPid),
          load: loadAverage(),
        };
        rows.push(row);
        console.log(
          `run ${run} ${who}: ${num(row.wallMs)} ms wall; origin ${num(row.originCpuMs)} ms CPU, peak RSS ${num(row.originRssMb)} MiB; receiver ${num(row.rxCpuMs)} ms CPU; load ${row.load}`,
        );
      } finally {
        await rxCtl.cmd(`disable ${proto(who)}`);
        await tortie?.stop();
        await waitFor(async () => (await rxCtl.imported(proto(who))) === 0, {
          timeoutMs: 60_000,
          what: "receiver flushed the routes",
        });
      }
    }
  }

  const stat = (who: Origin) => {
    const r = rows.filter((x) => x.who === who);
    return {
      wall: median(r.map((x) => x.wallMs)),
      ocpu: median(r.map((x) => x.originCpuMs)),
      rcpu: median(r.map((x) => x.rxCpuMs)),
      rss: median(r.map((x) => x.originRssMb)),
      walls: r.map((x) => num(x.wallMs)).join(", "),
    };
  };
  const bird = stat("bird");
  console.log(
    `\nadvertise ${describePrefixes(N)} to a BIRD 2.0.12 receiver, Established → all held, medians of ${RUNS}; load at the end ${loadAverage()}:\n`,
  );
  console.log(
    table(
      [
        "origin",
        "wall ms",
        "wall × BIRD",
        "origin CPU s",
        "CPU × BIRD",
        "origin peak RSS MiB",
        "receiver CPU s",
        "wall ms of each run",
      ],
      ORIGINS.map((who) => {
        const s = stat(who);
        return [
          LABEL[who],
          num(s.wall),
          ratio(s.wall, bird.wall),
          num(s.ocpu / 1000, 2),
          ratio(s.ocpu, bird.ocpu),
          num(s.rss),
          num(s.rcpu / 1000, 2),
          s.walls,
        ];
      }),
    ),
  );
  for (const [who, ms] of Object.entries(loadMs))
    if (ms.length)
      console.log(
        `${LABEL[who as Origin]}: loading ${num(N)} routes (spawn → answering with all originated): median ${num(median(ms))} ms (${ms.map((x) => num(x)).join(", ")})`,
      );
  rxCtl.close();
  originCtl.close();
  await rx.stop();
  await origin.stop();
} finally {
  await topo.destroy();
  rmSync(library, { force: true });
  rmSync(daemon, { force: true });
}
