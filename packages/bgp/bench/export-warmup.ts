// The cost of a session's initial export in a fresh process (cold: code not
// yet optimised) against the same export again (warm), without network:
// a Rib with N originated IPv4 /32s of 198.18.0.0/15 (benchmark addresses)
// exported to two eBGP peers one after the other, each walked out of the
// Loc-RIB (Rib.feedExport, 4,096 destinations a step) and packed into
// UPDATEs (packV4), as the speaker's out-queue does. Prints the CPU ms of
// each export. Run it a few times: figures vary with the machine's load.
//
//   npx tsx packages/bgp/bench/export-warmup.ts [--prefixes N]
//   node --import tsx --no-opt packages/bgp/bench/export-warmup.ts   # unoptimised throughout
import { parseArgs } from "node:util";
import { exportAll, scratchTable } from "../src/cli/warm-up.js";
import { Rib } from "../src/rib/rib.js";

const { values } = parseArgs({ options: { prefixes: { type: "string", default: "100000" } } });
const n = Number(values.prefixes);
if (!Number.isInteger(n) || n < 1 || n > 131_072) throw new Error("--prefixes: 1 to 131,072");

const rib = new Rib({ localAs: 65001, routerId: "192.0.2.1" });
const peers = ["192.0.2.3", "192.0.2.4"];
for (const [i, id] of peers.entries())
  rib.addPeer({ id, address: id, asn: 65003 + i, localAddress: "192.0.2.1" });
const table = scratchTable(n);
for (let i = 0; i < n; i += 10_000) rib.originate(table.slice(i, i + 10_000), { attributes: [] });
for (const [i, id] of peers.entries()) {
  const before = process.cpuUsage();
  const { routes, octets } = exportAll(rib, id);
  const used = process.cpuUsage(before);
  const ms = (used.user + used.system) / 1000;
  console.log(
    `${i === 0 ? "cold" : "warm"}: ${routes.toLocaleString("en")} routes, ${octets.toLocaleString("en")} octets of UPDATEs, ${ms.toFixed(1)} ms CPU`,
  );
}
