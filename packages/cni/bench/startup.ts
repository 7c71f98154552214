// Start-up of the `tortie` plugin, the ways around Node's start-up measured
// side by side (VERSION calls: no kernel or IPAM work), with Debian's ptp:
//
//   npx tsx --conditions=source bench/startup.ts      (from packages/cni)
//
// - node -e 0                 the floor of any per-call Node process
// - bundle                    dist-style single-file ESM bundle (zod/mini, store split off)
// - bundle + V8 snapshot      the same code in a user-land startup snapshot
//                             (node --snapshot-blob; koffi loaded lazily after)
// - shim + resident helper    bin/tortie handing the call to the warm helper
// Node 20 has no module.enableCompileCache() (Node ≥ 22.1), so it is not a candidate here.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTopology, type Host } from "@tortie/testbed";
import { buildPluginForTest, helperUp } from "../src/plugin/testing.js";

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_N ?? 20);

let host: Host | undefined;

/** Starts a command inside the bench's namespace (spawn forks while this thread is in it). */
function spawnIn(...a: Parameters<typeof spawn>): ReturnType<typeof spawn> {
  return host ? host.run(() => spawn(...a)) : spawn(...a);
}

function time(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const c = spawnIn(cmd, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "ignore", "ignore"],
  });
  c.stdin?.on("error", () => undefined);
  c.stdin?.end("");
  return new Promise((r) => c.on("close", () => r(Number(process.hrtime.bigint() - t0) / 1e6)));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const bin = await buildPluginForTest();
  const work = mkdtempSync(join(tmpdir(), "tortie-startup-"));
  // everything runs in a testbed namespace: the helper's loopback port is its own
  const topo = await createTopology({ hosts: ["node"] });
  host = topo.host("node");
  let helper: ReturnType<typeof spawn> | undefined;
  try {
    // the snapshot: a CommonJS bundle whose main runs after deserialisation
    const { build } = await import("esbuild");
    const entry = join(work, "snap-entry.ts");
    writeFileSync(
      entry,
      `import { startupSnapshot } from "node:v8";\nimport { tortieMain } from ${JSON.stringify(resolve(here, "../src/plugin/main.ts"))};\nstartupSnapshot.setDeserializeMainFunction(() => { tortieMain().then(() => process.exit(process.exitCode ?? 0)); });\n`,
    );
    const lazyKoffi = join(work, "koffi-lazy.cjs");
    writeFileSync(
      lazyKoffi,
      `let real;\nconst load = () => (real ??= require("node:module").createRequire(${JSON.stringify(resolve(here, "../package.json"))})("koffi"));\nmodule.exports = new Proxy({}, { get: (_, k) => load()[k] });\n`,
    );
    const snapJs = join(work, "snap.cjs");
    await build({
      entryPoints: [entry],
      outfile: snapJs,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      conditions: ["source"],
      alias: { koffi: lazyKoffi },
      external: ["better-sqlite3", "etcd3"],
      logLevel: "error",
    });
    const blob = join(work, "snap.blob");
    execFileSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", snapJs], {
      cwd: work,
      stdio: "ignore",
    });

    const env = {
      CNI_COMMAND: "VERSION",
      TORTIE_CNI_RUN_DIR: join(work, "run"),
      TORTIE_CNI_HELPER_PORT: "927",
    };
    helper = spawnIn(process.execPath, [bin.file, "--helper"], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    for (let i = 0; i < 100 && !helperUp(join(work, "run")); i++)
      await new Promise((r) => setTimeout(r, 50));

    const cases: [string, () => Promise<number>][] = [
      ["node -e 0", () => time(process.execPath, ["-e", "0"], {})],
      ["bundle (tortie.mjs)", () => time(process.execPath, [bin.file], env)],
      ["bundle + V8 snapshot", () => time(process.execPath, ["--snapshot-blob", blob], env)],
      ["shim + resident helper", () => time(join(bin.dir, "tortie"), [], env)],
      [
        "shim, helper off",
        () => time(join(bin.dir, "tortie"), [], { ...env, TORTIE_CNI_HELPER: "off" }),
      ],
      ["ptp (Go)", () => time("/usr/lib/cni/ptp", [], env)],
    ];
    const res = new Map<string, number[]>(cases.map(([k]) => [k, []]));
    for (let i = 0; i < N; i++) for (const [k, f] of cases) res.get(k)!.push(await f());
    const floor = median(res.get("node -e 0")!);
    console.log(
      `plugin start-up (VERSION), median of ${N}, ms; load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`,
    );
    for (const [k, xs] of res) {
      console.log(
        `  ${k.padEnd(24)} ${median(xs).toFixed(1).padStart(7)}   ×${(median(xs) / floor).toFixed(2)} of node -e 0`,
      );
    }
  } finally {
    helper?.kill();
    await topo.destroy();
    bin.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
