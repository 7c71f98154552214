// tortiectl at scale, side by side with the library doing the same work in
// one process (what an agent or a script using @tortie/api / @tortie/ipam
// would pay):
//   1. `ipam check` over a store holding N allocations (default 100,000):
//      wall time and peak RSS of the tortiectl process, next to `check()`
//      called in-process;
//   2. `apply -f` of a file of M GlobalNetworkPolicies (default 10,000), next
//      to ResourceClient.apply in a loop.
// Both on the embedded (SQLite) store in a temporary folder. Prints medians.
//   npx tsx examples/tortiectl/bench/cli.ts [--allocations N] [--policies M] [--runs R]
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ResourceClient } from "@tortie/api";
import { SqliteStore } from "@tortie/datastore";
import { check, Ipam } from "@tortie/ipam";

const run = promisify(execFile);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ALLOCATIONS = arg("--allocations", 100_000);
const POLICIES = arg("--policies", 10_000);
const RUNS = arg("--runs", 3);
const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
class Skip extends Error {}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Runs tortiectl under /usr/bin/time; returns wall ms and peak RSS in MB.
async function timed(args: string[]): Promise<{ ms: number; rssMb: number }> {
  const t0 = performance.now();
  const { stderr } = await run(
    "/usr/bin/time",
    [
      "-f",
      "MAXRSS %M",
      process.execPath,
      "--import",
      "tsx",
      "--conditions",
      "source",
      MAIN,
      ...args,
    ],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const ms = performance.now() - t0;
  const rss = Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? 0) / 1024;
  return { ms, rssMb: rss };
}

const dir = mkdtempSync(join(tmpdir(), "tortiectl-bench-"));
try {
  // 1. IPAM check.
  const path = join(dir, "ipam.db");
  const store = new SqliteStore({ path });
  const ipam = new Ipam({ store });
  await ipam.applyPool({ name: "bench", cidr: "198.18.0.0/15", blockSize: 26 });
  await ipam.setIpamConfiguration({ strictAffinity: true, maxBlocksPerHost: 1000 });
  const hosts = 100;
  const t0 = performance.now();
  for (let i = 0; i < ALLOCATIONS; i++) {
    await ipam.autoAssign({
      handleId: `h${i}`,
      hostname: `node${i % hosts}`,
      num4: 1,
      attrs: { node: `node${i % hosts}`, pod: `p${i}`, namespace: "default" },
    });
  }
  console.log(
    `seeded ${ALLOCATIONS} allocations on ${hosts} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const lib: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const s = performance.now();
    const rep = await check(ipam, { now: Date.now(), isLive: () => true });
    lib.push(performance.now() - s);
    if (rep.allocations !== ALLOCATIONS)
      throw new Error(`check saw ${rep.allocations} allocations`);
  }
  await store.close();
  const cli: { ms: number; rssMb: number }[] = [];
  for (let r = 0; r < RUNS; r++)
    cli.push(await timed(["--datastore-path", path, "ipam", "check", "--grace-period", "0"]));
  const cliMs = median(cli.map((c) => c.ms));
  console.log(
    `ipam check, ${ALLOCATIONS} allocations: tortiectl ${(cliMs / 1000).toFixed(2)} s wall (process start included), peak RSS ${median(cli.map((c) => c.rssMb)).toFixed(0)} MB; library check() ${(median(lib) / 1000).toFixed(2)} s; ratio ${(cliMs / median(lib)).toFixed(2)}`,
  );

  // 2. apply -f of many policies (skipped with --policies 0).
  const docs: string[] = [];
  for (let i = 0; i < POLICIES; i++) {
    docs.push(
      `apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p${i}\nspec:\n  selector: app == 'a${i % 100}'\n  ingress:\n    - action: Allow\n      protocol: TCP\n      source:\n        selector: role == 'r${i % 50}'\n      destination:\n        ports: [${1000 + (i % 5000)}]\n`,
    );
  }
  if (POLICIES === 0) throw new Skip();
  const file = join(dir, "policies.yaml");
  writeFileSync(file, docs.join("---\n"));
  const cliApply: number[] = [];
  const libApply: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const p = join(dir, `apply-cli-${r}.db`);
    const t = await timed(["--datastore-path", p, "apply", "-f", file]);
    cliApply.push(t.ms);
    const lp = join(dir, `apply-lib-${r}.db`);
    const ls = new SqliteStore({ path: lp });
    const { parseResources } = await import("@tortie/api");
    const s = performance.now();
    const client = new ResourceClient(ls);
    for (const res of parseResources(docs.join("---\n")).resources) await client.apply(res);
    libApply.push(performance.now() - s);
    await ls.close();
  }
  console.log(
    `apply -f, ${POLICIES} GlobalNetworkPolicies: tortiectl ${(median(cliApply) / 1000).toFixed(2)} s; library (parse + apply loop) ${(median(libApply) / 1000).toFixed(2)} s; ratio ${(median(cliApply) / median(libApply)).toFixed(2)}`,
  );
} catch (e) {
  if (!(e instanceof Skip)) throw e;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
