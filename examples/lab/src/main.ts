// `bash scripts/lab.sh`: F5's Kubernetes + Calico + BIG-IP lab on this
// machine. Prints what BIG-IP learned and pings pods from the client across
// BIG-IP, then runs until Ctrl-C (or exits at once with --once).
import { formatStatus } from "@tortie/bgp";
import { BIGIP, CLIENT, NODES, startF5Lab } from "./f5-lab.js";

const once = process.argv.includes("--once");
const t0 = Date.now();
console.log("lab: building namespaces: client, bigip, node1, node2, pod1, pod2");
const lab = await startF5Lab((l) => console.log(`lab: ${l}`));
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log("lab: stopping speakers and FRR, removing namespaces");
  await lab.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  console.log(`lab: BIG-IP learned every pod block after ${Date.now() - t0} ms\n`);
  for (const n of NODES) console.log(`${n.name}:\n${formatStatus(lab.status(n.name))}\n`);
  console.log(`BIG-IP (${BIGIP}, FRR standing in for ZebOS imish) — show bgp ipv4 unicast:`);
  for (const [prefix, paths] of Object.entries(await lab.bigipRoutes())) {
    console.log(`  ${prefix.padEnd(20)} via ${paths.map((p) => p.nexthops?.[0]?.ip).join(", ")}`);
  }
  let failed = false;
  for (const n of NODES) {
    const r = await lab.topo
      .host("client")
      .exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", n.podIp])
      .then(
        (x) => x.stdout.trim().split("\n").slice(-2)[0],
        (e: Error) => `FAILED: ${e.message}`,
      );
    if (r?.startsWith("FAILED")) failed = true;
    console.log(`\nping client ${CLIENT} → ${n.pod} ${n.podIp} (via BIG-IP → ${n.name}): ${r}`);
  }
  if (once) await shutdown(failed ? 1 : 0);
  console.log(`\nlab: running. Namespaces: ${lab.topo.namespaces().join(" ")}`);
  console.log(
    "lab: e.g. `ip netns exec <bigip ns> vtysh --vty_socket <dir> -c 'show bgp summary'`; Ctrl-C stops",
  );
} catch (e) {
  console.error("lab: failed:", e);
  await shutdown(1);
}
