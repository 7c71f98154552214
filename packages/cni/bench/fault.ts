// The fault suite at full size: 1,000 pod lifecycles on 8 workers while the
// resident helper is SIGKILLed every 2–3.5 s, 15% of ADDs are killed
// part-way at a random time and every 10th at a checkpoint, and every 5th
// lifecycle races a DEL 0–20 ms behind its ADD
// (src/plugin/fault-testing.ts; CI runs 160 of them in fault.int.test.ts).
//
//   npx tsx --conditions=source packages/cni/bench/fault.ts      (as root)
//   FAULT_LIFECYCLES=2000 … for more
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createTopology, missingPrereqs } from "@tortie/testbed";
import { runFaultSuite } from "../src/plugin/fault-testing.js";
import { buildPluginForTest } from "../src/plugin/testing.js";

const WORKERS = 8;
const N = Number(process.env.FAULT_LIFECYCLES ?? 1000);

const missing = missingPrereqs(["root", "netns"]);
if (missing.length) throw new Error(`needs: ${missing.join("; ")}`);
const bin = await buildPluginForTest();
const work = mkdtempSync(join(tmpdir(), "tortie-fault-bench-"));
const topo = await createTopology({
  hosts: ["node", ...Array.from({ length: WORKERS }, (_, i) => `w${i}`)],
});
try {
  await topo.host("node").ip(["link", "set", "lo", "up"]);
  const rep = await runFaultSuite({
    node: topo.host("node"),
    pods: Array.from({ length: WORKERS }, (_, i) => topo.host(`w${i}`)),
    binDir: bin.dir,
    work,
    runDir: join(work, "run"),
    lifecycles: N,
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify({ ...rep, load: loadavg().map((x) => x.toFixed(1)) }, null, 1));
  const bad = rep.violations.length + Object.values(rep.leaks).flat().length;
  process.exitCode = bad ? 1 : 0;
} finally {
  await topo.destroy();
  bin.remove();
  rmSync(work, { recursive: true, force: true });
}
