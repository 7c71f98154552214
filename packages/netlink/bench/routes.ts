// Route programming, Tortie against iproute2, side by side in one run.
//
//   npm run bench -w @tortie/netlink              # 100k IPv4, 100k IPv6, resync
//   npm run bench -w @tortie/netlink -- --million # also 1,000,000 IPv4
//   npm run bench -w @tortie/netlink -- --only-million
//
// In a fresh namespace with a bridge (192.0.2.1/24, 2001:db8::1/64), each
// tool installs, replaces (new gateway) and deletes the same routes
// (198.18.0.0/15 /32s via 192.0.2.2; 2001:db8:x:y::/64 via 2001:db8::2;
// the million are 8 tables of 125,000 because 198.18.0.0/15 has only 131,072
// /32s). Tortie batches 64 KiB of messages per sendto with one ACK each;
// `ip -batch` and `ip -force -batch` read a file of the same commands (their
// time includes starting ip). Every step is checked by counting the routes.
// Then: a reconciler owning 100,000 routes resyncs after one was changed by
// hand (exactly one kernel change expected), against `ip route show proto 84`
// as the dump-only baseline. The event loop's worst stall is measured with
// perf_hooks.monitorEventLoopDelay during Tortie's work.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  createNetns,
  deleteNetns,
  Netlink,
  type RouteOp,
  RouteProtocol,
  RouteReconciler,
  type RouteSpec,
} from "../src/index.js";

const onlyMillion = process.argv.includes("--only-million");
const million = onlyMillion || process.argv.includes("--million");
const RUNS = Number(process.env.RUNS ?? 3);
const NS = `nlbench${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), "nlbench-"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function v4(i: number): string {
  const n = (198 << 24) + (18 << 16) + i;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/32`;
}
function v6(i: number): string {
  return `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::/64`;
}

interface Load {
  readonly name: string;
  readonly family: 4 | 6;
  readonly count: number;
  readonly tables: readonly number[];
  readonly dst: (i: number) => string;
  readonly gw: readonly [string, string];
}

function specs(l: Load, gw: string): RouteSpec[] {
  const per = l.count / l.tables.length;
  const out: RouteSpec[] = new Array(l.count);
  for (let i = 0; i < l.count; i++) {
    out[i] = {
      dst: l.dst(i % per),
      gateway: gw,
      dev: "br0",
      table: l.tables[Math.floor(i / per)]!,
      protocol: RouteProtocol.tortie,
    };
  }
  return out;
}

function batchFile(l: Load, op: RouteOp, gw: string): string {
  const per = l.count / l.tables.length;
  const lines: string[] = new Array(l.count);
  const cmd = op === "delete" ? "del" : op;
  for (let i = 0; i < l.count; i++) {
    const table = l.tables[Math.floor(i / per)]!;
    lines[i] = `route ${cmd} ${l.dst(i % per)} via ${gw} dev br0 table ${table} proto 84`;
  }
  const f = join(dir, `${l.name}-${op}.batch`);
  writeFileSync(f, `${lines.join("\n")}\n`);
  return f;
}

async function count(nl: Netlink, l: Load): Promise<number> {
  let n = 0;
  for (const table of l.tables) {
    n += (await nl.routes.list({ table, family: l.family, protocol: RouteProtocol.tortie })).length;
  }
  return n;
}

async function expectCount(nl: Netlink, l: Load, want: number, what: string): Promise<void> {
  const got = await count(nl, l);
  if (got !== want) throw new Error(`${what}: ${got} routes in the kernel, expected ${want}`);
}

/** Runs ip under bash's `time`: wall ms and CPU ms (user + system, the kernel's work included). */
function timedIp(args: readonly string[]): { ms: number; cpu: number } {
  const t0 = performance.now();
  const r = spawnSync(
    "bash",
    ["-c", 'TIMEFORMAT="%3U %3S"; time ip "$@" >/dev/null', "bash", ...args],
    {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    },
  );
  const ms = performance.now() - t0;
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`ip ${args.join(" ")}: ${r.stderr.slice(0, 500)}`);
  return { ms, cpu: (Number(m[1]) + Number(m[2])) * 1000 };
}

function ipBatch(file: string, force: boolean): { ms: number; cpu: number } {
  return timedIp(["-n", NS, ...(force ? ["-force"] : []), "-batch", file]);
}

const results: string[] = [];
function report(line: string): void {
  console.log(line);
  results.push(line);
}

async function benchLoad(nl: Netlink, l: Load, runs: number): Promise<void> {
  const files = {
    add: batchFile(l, "add", l.gw[0]),
    replace: batchFile(l, "replace", l.gw[1]),
    delete: batchFile(l, "delete", l.gw[1]),
  };
  const add = specs(l, l.gw[0]);
  const repl = specs(l, l.gw[1]);
  const ops: [RouteOp, RouteSpec[]][] = [
    ["add", add],
    ["replace", repl],
    ["delete", repl],
  ];
  const times: Record<string, Record<RouteOp, number[]>> = {};
  const cpus: Record<string, Record<RouteOp, number[]>> = {};
  const stalls: number[] = [];
  const slices: number[] = [];
  const cpuSlices: number[] = [];
  for (const tool of ["tortie", "ip -batch", "ip -force -batch"]) {
    times[tool] = { add: [], replace: [], delete: [], append: [] };
    cpus[tool] = { add: [], replace: [], delete: [], append: [] };
  }
  for (let run = 0; run < runs; run++) {
    for (const tool of ["tortie", "ip -batch", "ip -force -batch"]) {
      for (const [op, list] of ops) {
        let ms: number;
        let cpu: number;
        if (tool === "tortie") {
          nl.stats.maxSliceMs = 0;
          nl.stats.maxSliceCpuMs = 0;
          const h = monitorEventLoopDelay({ resolution: 1 });
          h.enable();
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const r = await nl.routes.batch(op, list);
          ms = performance.now() - t0;
          const c = process.cpuUsage(c0);
          cpu = (c.user + c.system) / 1000;
          h.disable();
          stalls.push(h.max / 1e6);
          slices.push(nl.stats.maxSliceMs);
          cpuSlices.push(nl.stats.maxSliceCpuMs);
          if (r.failures.length) throw new Error(`tortie ${op}: ${r.failures[0]!.error.message}`);
        } else {
          ({ ms, cpu } = ipBatch(
            files[op as "add" | "replace" | "delete"],
            tool.includes("force"),
          ));
        }
        times[tool]![op].push(ms);
        cpus[tool]![op].push(cpu);
        await expectCount(nl, l, op === "delete" ? 0 : l.count, `${tool} ${op}`);
      }
    }
  }
  report(`\n### ${l.name}: ${l.count.toLocaleString("en")} routes, median of ${runs} run(s)\n`);
  report(
    "| operation | Tortie batched | ip -batch | ip -force -batch | Tortie / ip -batch (wall) | CPU s: Tortie / ip -batch / ip -force | ip -batch / Tortie (CPU) |",
  );
  report("|---|---|---|---|---|---|---|");
  for (const [op] of ops) {
    const t = median(times.tortie![op]);
    const ip = median(times["ip -batch"]![op]);
    const ipf = median(times["ip -force -batch"]![op]);
    const ct = median(cpus.tortie![op]);
    const cip = median(cpus["ip -batch"]![op]);
    const cipf = median(cpus["ip -force -batch"]![op]);
    const rate = (ms: number) =>
      `${Math.round(l.count / (ms / 1000)).toLocaleString("en")}/s (${(ms / 1000).toFixed(2)} s)`;
    report(
      `| ${op} | ${rate(t)} | ${rate(ip)} | ${rate(ipf)} | ${(ip / t).toFixed(2)}× | ` +
        `${(ct / 1000).toFixed(2)} / ${(cip / 1000).toFixed(2)} / ${(cipf / 1000).toFixed(2)} | ${(cip / ct).toFixed(2)}× |`,
    );
  }
  report(
    `\nEvent loop during Tortie's batches: worst delay ${Math.max(...stalls).toFixed(1)} ms ` +
      `(monitorEventLoopDelay), longest synchronous slice ${Math.max(...slices).toFixed(1)} ms wall / ` +
      `${Math.max(...cpuSlices).toFixed(1)} ms CPU`,
  );
}

async function benchResync(nl: Netlink): Promise<void> {
  const N = 100_000;
  const rec = new RouteReconciler(nl, { families: [4], resyncIntervalMs: 0 });
  const routes = Array.from({ length: N }, (_, i) => ({ dst: v4(i), gateway: "192.0.2.2" }));
  rec.setRoutes("bench", routes);
  const first = await rec.resync();
  if (first.replaced !== N) throw new Error(`initial resync installed ${first.replaced}`);
  const times: number[] = [];
  const ipTimes: number[] = [];
  const stalls: number[] = [];
  const slices: number[] = [];
  const cpuSlices: number[] = [];
  const dumps: number[] = [];
  const cpus: number[] = [];
  const ipCpus: number[] = [];
  const plans: number[] = [];
  const writes: number[] = [];
  for (let run = 0; run < 5; run++) {
    const victim = v4(run * 997);
    execFileSync("ip", ["-n", NS, "route", "replace", victim, "via", "192.0.2.3", "proto", "84"]);
    nl.stats.maxSliceMs = 0;
    nl.stats.maxSliceCpuMs = 0;
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await rec.resync();
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
    slices.push(nl.stats.maxSliceMs);
    cpuSlices.push(nl.stats.maxSliceCpuMs);
    times.push(performance.now() - t0);
    h.disable();
    stalls.push(h.max / 1e6);
    dumps.push(r.timings.dumpMs);
    plans.push(r.timings.planMs);
    writes.push(r.timings.applyMs);
    if (r.replaced !== 1 || r.deleted !== 0) {
      throw new Error(
        `resync made ${r.replaced} replacements and ${r.deleted} deletions, expected exactly 1`,
      );
    }
    const ipRun = timedIp(["-n", NS, "route", "show", "proto", "84"]);
    ipTimes.push(ipRun.ms);
    ipCpus.push(ipRun.cpu);
  }
  const t = median(times);
  const ip = median(ipTimes);
  report(
    `\n### Resync of a ${N.toLocaleString("en")}-route table after one route was changed by hand (median of 5)\n`,
  );
  const ct = median(cpus);
  const cip = median(ipCpus);
  report("| | wall | CPU | kernel changes |");
  report("|---|---|---|---|");
  report(
    `| Tortie RouteReconciler.resync() (dump + diff + apply) | ${t.toFixed(0)} ms | ${ct.toFixed(0)} ms | exactly 1 (checked) |`,
  );
  report(
    `| \`ip route show proto 84\` (dump and print only) | ${ip.toFixed(0)} ms | ${cip.toFixed(0)} ms | — |`,
  );
  report(
    `| ratio ip dump / Tortie full resync | ${(ip / t).toFixed(2)}× | ${(cip / ct).toFixed(2)}× | |`,
  );
  report(`| Felix's published figure, for scale | 84 ms for 65,536 routes | | |`);
  report(
    `\nEvent loop during resyncs: worst delay ${Math.max(...stalls).toFixed(1)} ms, longest ` +
      `synchronous slice ${Math.max(...slices).toFixed(1)} ms wall / ${Math.max(...cpuSlices).toFixed(1)} ms CPU; ` +
      `resync phases (median run): dump ${median(dumps).toFixed(0)} ms, diff ${median(plans).toFixed(0)} ms, write ${median(writes).toFixed(0)} ms`,
  );
  await nl.routes.flush({ protocol: RouteProtocol.tortie });
}

try {
  const ns = createNetns(NS);
  execFileSync("ip", ["-n", NS, "link", "add", "br0", "type", "bridge"]);
  execFileSync("ip", ["-n", NS, "link", "set", "br0", "up"]);
  execFileSync("ip", ["-n", NS, "addr", "add", "192.0.2.1/24", "dev", "br0"]);
  execFileSync("ip", ["-n", NS, "addr", "add", "2001:db8::1/64", "dev", "br0", "nodad"]);
  const nl = await Netlink.open({ netns: ns });
  report(
    `Load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(", ")} (2 shared cores)`,
  );
  report(
    `Kernel ${execFileSync("uname", ["-r"], { encoding: "utf8" }).trim()}, ${execFileSync("ip", ["-V"], { encoding: "utf8" }).trim()}, Node ${process.version}`,
  );
  if (!onlyMillion) {
    await benchLoad(
      nl,
      {
        name: "IPv4",
        family: 4,
        count: 100_000,
        tables: [254],
        dst: v4,
        gw: ["192.0.2.2", "192.0.2.3"],
      },
      RUNS,
    );
    await benchLoad(
      nl,
      {
        name: "IPv6",
        family: 6,
        count: 100_000,
        tables: [254],
        dst: v6,
        gw: ["2001:db8::2", "2001:db8::3"],
      },
      RUNS,
    );
  }
  if (million) {
    await benchLoad(
      nl,
      {
        name: "IPv4 million",
        family: 4,
        count: 1_000_000,
        tables: [101, 102, 103, 104, 105, 106, 107, 108],
        dst: v4,
        gw: ["192.0.2.2", "192.0.2.3"],
      },
      1,
    );
  }
  if (!onlyMillion) await benchResync(nl);
  report(
    `\nLoad average at end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(", ")}`,
  );
  nl.close();
} finally {
  try {
    deleteNetns(NS);
  } catch {}
  rmSync(dir, { recursive: true, force: true });
}
