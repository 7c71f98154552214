// Receive benchmark: 100,000 IPv4 prefixes from one BIRD feeder over a real
// eBGP session, received by Tortie's Speaker and by BIRD 2 itself, in the
// same run, alternating, medians of N runs. Run as root:
//
//   npm run bench:receive -w @tortie/bgp      (= tsx bench/receive.ts)
//   BENCH_PREFIXES=1000000 BENCH_RUNS=3 npm run bench:receive -w @tortie/bgp
//
// Each run: the feeder's protocol towards the receiver is enabled; the clock
// starts when the receiver's session is Established and stops when the
// receiver holds every prefix. For Tortie "holds" means in its Adj-RIB-In
// (decoded, keyed, event emitted); for BIRD, counted by `show route count`
// (in its RIB). The feeder is woken with a `birdc` query every 50 ms
// (REAL-PEERS.md: BIRD 2.0.12 otherwise holds back the tail of an export).
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createTopology, missingPrereqs, startBird, waitFor } from "@tortie/testbed";
import { Speaker } from "../src/speaker/speaker.js";

const N = Number(process.env.BENCH_PREFIXES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const missing = missingPrereqs(["root", "bird"]);
if (missing.length) {
  console.error(`bench/receive: ${missing.join("; ")}`);
  process.exit(1);
}

/** N distinct /32s from 198.18.0.0/15 (131,072 of them), then /31s… as needed. */
function prefixes(n: number): string[] {
  const out: string[] = [];
  for (let len = 32; out.length < n; len--) {
    const step = 2 ** (32 - len);
    for (let a = 0xc6120000; a < 0xc6140000 && out.length < n; a += step) {
      out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`);
    }
  }
  return out;
}

function cpuOfPid(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime+stime, ms (USER_HZ 100)
}

const topo = await createTopology({
  hosts: ["feed", "rx", "tortie"],
  segments: {
    lan: { members: { feed: ["192.0.2.1/24"], rx: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] } },
  },
});
try {
  const list = prefixes(N);
  console.log(`feeder: BIRD with ${N.toLocaleString("en-US")} static routes…`);
  const feeder = await startBird(topo.host("feed"), {
    routerId: "192.0.2.1",
    localAs: 65001,
    direct: false,
    static4: list,
    peers: [
      {
        name: "birdrx",
        neighbor: "192.0.2.3",
        neighborAs: 65003,
        ipv4: { import: "none", export: "all" },
        extra: "  disabled;",
      },
      {
        name: "tortie",
        neighbor: "192.0.2.2",
        neighborAs: 65002,
        ipv4: { import: "none", export: "all" },
        extra: "  disabled;",
      },
    ],
  });
  await waitFor(
    async () => (await feeder.birdc("show route count")).includes(`${N} of ${N} routes`),
    {
      timeoutMs: 120_000,
      what: "feeder loaded its static routes",
    },
  );
  const rx = await startBird(topo.host("rx"), {
    routerId: "192.0.2.3",
    localAs: 65003,
    direct: false,
    peers: [
      {
        name: "feeder",
        neighbor: "192.0.2.1",
        neighborAs: 65001,
        passive: true,
        ipv4: { import: "all", export: "none" },
      },
    ],
  });
  const tortie = await Speaker.start({
    asn: 65002,
    routerId: "192.0.2.2",
    netns: topo.host("tortie").nsPath,
    peers: [{ address: "192.0.2.1", asn: 65001, passive: true }],
  });
  const wake = setInterval(() => void feeder.birdc("show status").catch(() => {}), 50);

  const rows: { who: string; ms: number; cpu: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    // --- BIRD receiving ---
    {
      const cpu0 = cpuOfPid(rx.pid!);
      await feeder.birdc("enable birdrx");
      await waitFor(async () => (await rx.protocol("feeder"))?.info.startsWith("Established"), {
        intervalMs: 5,
        timeoutMs: 30_000,
      });
      const t0 = performance.now();
      await waitFor(
        async () => (await rx.birdc("show route count")).includes(`${N} of ${N} routes`),
        {
          intervalMs: 20,
          timeoutMs: 600_000,
          what: "BIRD holds every prefix",
        },
      );
      rows.push({ who: "BIRD 2", ms: performance.now() - t0, cpu: cpuOfPid(rx.pid!) - cpu0 });
      await feeder.birdc("disable birdrx");
      await waitFor(async () => (await rx.birdc("show route count")).includes("0 of 0 routes"), {
        timeoutMs: 60_000,
      });
    }
    // --- Tortie receiving ---
    {
      let t0 = 0;
      const up = new Promise<void>((r) =>
        tortie.once("peer-up", () => {
          t0 = performance.now();
          r();
        }),
      );
      const cpu0 = process.cpuUsage();
      await feeder.birdc("enable tortie");
      await up;
      const trace: string[] = [];
      const tr = setInterval(
        () =>
          trace.push(`${(performance.now() - t0).toFixed(0)}:${tortie.routeCount("192.0.2.1")}`),
        100,
      );
      await waitFor(() => tortie.routeCount("192.0.2.1") >= N, {
        intervalMs: 5,
        timeoutMs: 600_000,
        what: "Tortie holds every prefix",
      });
      clearInterval(tr);
      if (process.env.BENCH_TRACE) console.log(trace.join(" "));
      const c = process.cpuUsage(cpu0);
      rows.push({ who: "Tortie", ms: performance.now() - t0, cpu: (c.user + c.system) / 1000 });
      await feeder.birdc("disable tortie");
      await waitFor(() => tortie.routeCount("192.0.2.1") === 0, { timeoutMs: 60_000 });
    }
    console.log(
      `run ${run + 1}: ${rows
        .slice(-2)
        .map((r) => `${r.who} ${r.ms.toFixed(0)} ms`)
        .join(", ")}`,
    );
  }
  clearInterval(wake);
  const stat = (who: string) => {
    const r = rows.filter((x) => x.who === who);
    return { ms: median(r.map((x) => x.ms)), cpu: median(r.map((x) => x.cpu)) };
  };
  const b = stat("BIRD 2");
  const t = stat("Tortie");
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `\nreceive ${N.toLocaleString("en-US")} IPv4 prefixes from a BIRD feeder (Established → all held), medians of ${RUNS}:\n`,
  );
  console.log("| receiver | wall ms | CPU ms | prefixes/s (wall) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [who, s] of [
    ["BIRD 2.0.12", b],
    ["Tortie", t],
  ] as const) {
    console.log(
      `| ${who} | ${s.ms.toFixed(0)} | ${s.cpu.toFixed(0)} | ${Math.round((N / s.ms) * 1000).toLocaleString("en-US")} |`,
    );
  }
  console.log(
    `\nratio Tortie / BIRD (wall): ${(t.ms / b.ms).toFixed(2)}×   (CPU): ${(t.cpu / b.cpu).toFixed(2)}×   Tortie process RSS ${rss.toFixed(0)} MiB`,
  );
  await tortie.close();
  await rx.stop();
  await feeder.stop();
} finally {
  await topo.destroy();
}
