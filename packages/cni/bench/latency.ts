// CNI ADD/DEL latency, process start included: the Tortie plugin (host-local
// IPAM) next to Debian's ptp + host-local, same machine, same run — the
// Tortie plugin both ways it can run: its bash shim handing the call to the
// warm resident helper, and (TORTIE_CNI_HELPER=off) the bundled plugin
// started in Node for every call.
//
//   npm run bench -w @tortie/cni            (as root; ~1–2 minutes)
//   BENCH_N=50 npm run bench -w @tortie/cni (more sequential samples)
//
// Sequential: one pod, ADD then DEL, N times. Burst: 30 pods ADDed at once,
// then DELeted at once. Plugins run inside a testbed "node" namespace, pods
// in their own; addresses from the benchmark range 198.18.0.0/15.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTopology, type Host, missingPrereqs } from "@tortie/testbed";
import { buildPluginForTest, helperUp } from "../src/plugin/testing.js";

const N = Number(process.env.BENCH_N ?? 30);
const BURST = 30;

interface Sample {
  ms: number;
  code: number;
  out: string;
}

let runDir = "";

function runIn(
  host: Host,
  file: string,
  env: Record<string, string>,
  stdin: string,
): Promise<Sample> {
  const t0 = process.hrtime.bigint();
  const child: ChildProcess = host.run(() =>
    spawn(file, [], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TORTIE_CNI_RUN_DIR: runDir, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stdin?.on("error", () => undefined); // VERSION may exit before reading
  child.stdin?.end(stdin);
  return new Promise((resolve) =>
    child.on("close", (code) =>
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, out }),
    ),
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const fmt = (x: number) => x.toFixed(1).padStart(7);

async function main() {
  const missing = missingPrereqs(["root", "netns", "cni-plugins"]);
  if (missing.length) throw new Error(`bench needs: ${missing.join("; ")}`);
  const bin = await buildPluginForTest();
  const work = mkdtempSync(join(tmpdir(), "tortie-cni-bench-"));
  runDir = join(work, "run");
  const pods = Array.from({ length: BURST }, (_, i) => `b${i}`);
  const topo = await createTopology({ hosts: ["node", ...pods] });
  try {
    const node = topo.host("node");
    const kinds = {
      "ptp+host-local": {
        file: "/usr/lib/cni/ptp",
        env: {},
        conf: (n: string) =>
          JSON.stringify({
            cniVersion: "1.0.0",
            name: n,
            type: "ptp",
            ipam: {
              type: "host-local",
              dataDir: join(work, "ipam"),
              ranges: [[{ subnet: "198.18.0.0/17" }]],
            },
          }),
      },
      "tortie (helper)": {
        file: join(bin.dir, "tortie"),
        env: {},
        conf: (n: string) =>
          JSON.stringify({
            cniVersion: "1.0.0",
            name: n,
            type: "tortie",
            dataDir: join(work, "state"),
            ipam: {
              type: "host-local",
              dataDir: join(work, "ipam"),
              ranges: [[{ subnet: "198.19.0.0/17" }]],
            },
          }),
      },
      "tortie (helper, tortie IPAM)": {
        file: join(bin.dir, "tortie"),
        env: {},
        conf: (n: string) =>
          JSON.stringify({
            cniVersion: "1.0.0",
            name: n,
            type: "tortie",
            dataDir: join(work, "state"),
            datastore: { type: "sqlite", path: join(work, "store.db") },
            ipam: { type: "tortie" },
          }),
      },
      "tortie (node)": {
        file: join(bin.dir, "tortie"),
        env: { TORTIE_CNI_HELPER: "off" },
        conf: (n: string) =>
          JSON.stringify({
            cniVersion: "1.0.0",
            name: n,
            type: "tortie",
            dataDir: join(work, "state"),
            ipam: {
              type: "host-local",
              dataDir: join(work, "ipam"),
              ranges: [[{ subnet: "198.19.0.0/16" }]],
            },
          }),
      },
    } as const;
    const env = (cmd: string, pod: string, id: string, extra: Record<string, string> = {}) => ({
      ...extra,
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: id,
      CNI_NETNS: topo.host(pod).nsPath,
      CNI_IFNAME: "eth0",
      CNI_PATH: `${bin.dir}:/usr/lib/cni`,
    });
    const check = (s: Sample, what: string) => {
      if (s.code !== 0) throw new Error(`${what} failed (${s.code}): ${s.out}`);
      return s.ms;
    };

    const ver = { CNI_COMMAND: "VERSION" };
    // Tortie IPAM's pool, in the store the plugin is configured with
    {
      const { SqliteStore } = await import("@tortie/datastore");
      const { Ipam } = await import("@tortie/ipam");
      const store = new SqliteStore({ path: join(work, "store.db") });
      await new Ipam({ store }).applyPool({ name: "bench", cidr: "198.18.128.0/17" });
      await store.close();
    }
    // the first call runs in Node and starts the helper; wait for it
    const th = kinds["tortie (helper)"];
    await runIn(node, th.file, env("ADD", "b1", "warm"), th.conf("warm"));
    for (let i = 0; i < 100 && !helperUp(runDir); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await runIn(node, th.file, env("DEL", "b1", "warm"), th.conf("warm"));

    const startup: Record<string, number[]> = {
      "node -e 0": [],
      "tortie VERSION, node": [],
      "tortie VERSION, helper": [],
      "ptp VERSION": [],
    };
    for (let i = 0; i < 15; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise((r) => spawn(process.execPath, ["-e", "0"]).on("close", r));
      startup["node -e 0"]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const off = { ...ver, TORTIE_CNI_HELPER: "off" };
      startup["tortie VERSION, node"]!.push((await runIn(node, th.file, off, "")).ms);
      startup["tortie VERSION, helper"]!.push((await runIn(node, th.file, ver, "")).ms);
      startup["ptp VERSION"]!.push((await runIn(node, kinds["ptp+host-local"].file, ver, "")).ms);
    }

    const rows: string[] = [];
    const seq: Record<string, { add: number[]; del: number[] }> = {};
    for (const k of Object.keys(kinds)) seq[k] = { add: [], del: [] };
    // interleave the plugins so that load from others hits both alike
    for (let i = 0; i < N; i++) {
      for (const [k, v] of Object.entries(kinds)) {
        const conf = v.conf(`bench-${k.replace(/\W/g, "")}`);
        seq[k]!.add.push(
          check(await runIn(node, v.file, env("ADD", "b0", `s${i}`, v.env), conf), `${k} ADD`),
        );
        seq[k]!.del.push(
          check(await runIn(node, v.file, env("DEL", "b0", `s${i}`, v.env), conf), `${k} DEL`),
        );
      }
    }
    const burst: Record<
      string,
      { add: number[]; del: number[]; addWall: number; delWall: number }
    > = {};
    for (const [k, v] of Object.entries(kinds)) {
      const conf = v.conf(`burst-${k.replace(/\W/g, "")}`);
      let t0 = performance.now();
      const adds = await Promise.all(
        pods.map((p) => runIn(node, v.file, env("ADD", p, `x-${p}`, v.env), conf)),
      );
      const addWall = performance.now() - t0;
      t0 = performance.now();
      const dels = await Promise.all(
        pods.map((p) => runIn(node, v.file, env("DEL", p, `x-${p}`, v.env), conf)),
      );
      const delWall = performance.now() - t0;
      burst[k] = {
        add: adds.map((s) => check(s, `${k} burst ADD`)),
        del: dels.map((s) => check(s, `${k} burst DEL`)),
        addWall,
        delWall,
      };
    }

    const T = "tortie (helper)";
    const TN = "tortie (node)";
    const TI = "tortie (helper, tortie IPAM)";
    const P = "ptp+host-local";
    rows.push(
      `CNI latency, ms (process start included), ${N} sequential ADD+DEL, burst of ${BURST}`,
    );
    rows.push(
      `load average at end: ${(await import("node:os"))
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
    );
    rows.push("");
    rows.push("start-up (median ms):");
    for (const [k, xs] of Object.entries(startup))
      rows.push(`  ${k.padEnd(16)} ${fmt(pct(xs, 50))}`);
    rows.push("");
    rows.push(`${"".padEnd(40)}${"p50".padStart(7)}${"p99".padStart(7)}`);
    const line = (label: string, xs: number[]) =>
      rows.push(`${label.padEnd(40)}${fmt(pct(xs, 50))}${fmt(pct(xs, 99))}`);
    for (const k of [P, T, TI, TN]) {
      line(`${k} ADD sequential`, seq[k]!.add);
      line(`${k} DEL sequential`, seq[k]!.del);
      line(`${k} ADD burst`, burst[k]!.add);
      line(`${k} DEL burst`, burst[k]!.del);
      rows.push(
        `${`${k} burst wall ADD/DEL`.padEnd(28)}${fmt(burst[k]!.addWall)}${fmt(burst[k]!.delWall)}`,
      );
    }
    rows.push("");
    const ratio = (a: number[], b: number[]) => (pct(a, 50) / pct(b, 50)).toFixed(2);
    for (const k of [T, TI, TN]) {
      const r = (x: "add" | "del") =>
        `${x.toUpperCase()} seq ${ratio(seq[k]![x], seq[P]![x])}, burst ${ratio(burst[k]![x], burst[P]![x])}`;
      rows.push(`ratio ${k} / ${P} (p50): ${r("add")}; ${r("del")}`);
    }
    console.log(rows.join("\n"));
  } finally {
    await topo.destroy();
    bin.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
