// `npm run lab`: starts the four-implementation lab, prints what each daemon
// learned and a ping across BGP-learned routes, then keeps running until
// Ctrl-C (or exits at once with --once). Everything is removed on exit.
import { kernelRoute, startFourPeerLab } from "./four-peers.js";

const once = process.argv.includes("--once");
const t0 = Date.now();
console.log("lab: building namespaces and starting BIRD, FRR, GoBGP, ExaBGP…");
const lab = await startFourPeerLab((d) => console.log(`lab: started ${d.label}`));
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log("lab: stopping daemons and removing namespaces");
  await lab.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  console.log(`lab: all sessions Established after ${Date.now() - t0} ms\n`);
  console.log("BIRD (AS 65001) protocols:");
  for (const p of await lab.bird.protocols()) {
    if (p.proto === "BGP") console.log(`  ${p.name.padEnd(8)} ${p.state.padEnd(5)} ${p.info}`);
  }
  await kernelRoute(lab.topo.host("bird"), "203.0.113.0/30");
  await kernelRoute(lab.topo.host("frr"), "198.51.100.0/30");
  console.log("\nFRR (AS 65001) IPv4 RIB:");
  for (const [prefix, paths] of Object.entries(await lab.frr.routes("ipv4"))) {
    console.log(`  ${prefix.padEnd(20)} as-path "${paths[0]?.path ?? ""}"`);
  }
  console.log("\nGoBGP (AS 65002) IPv6 RIB:");
  for (const prefix of Object.keys(await lab.gobgp.rib("ipv6"))) console.log(`  ${prefix}`);
  console.log("\nExaBGP (AS 65003) received:");
  for (const [prefix, a] of lab.exa.received())
    console.log(`  ${prefix.padEnd(20)} as-path ${JSON.stringify(a["as-path"])}`);
  const ping = await lab.topo.host("sa").exec(["ping", "-c", "3", "-i", "0.2", "203.0.113.2"]);
  console.log(
    `\nping sa → sb across BGP-learned routes:\n${ping.stdout.trim().split("\n").slice(-2).join("\n")}`,
  );
  if (once) await shutdown(0);
  console.log(`\nlab: running; namespaces: ${lab.topo.namespaces().join(" ")}`);
  console.log("lab: try `ip netns exec <ns> birdc -s …` or press Ctrl-C to stop");
} catch (e) {
  console.error("lab: failed:", e);
  await shutdown(1);
}
