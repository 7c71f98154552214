// What a V8 heap snapshot holds, by constructor (or node type for strings,
// arrays, closures…): counts and shallow sizes, largest first. Used on the
// agent's heap with 100,000 learned routes (bench/rss.ts BENCH_HEAP_SNAPSHOT)
// to see which objects are held once per route, and by whom.
//
//   npx tsx examples/node-agent/bench/heap-summary.ts /tmp/agent.heapsnapshot [top=30]
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: heap-summary.ts FILE.heapsnapshot [top]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const iType = fields.indexOf("type");
const iName = fields.indexOf("name");
const iSize = fields.indexOf("self_size");
const rows = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + iType]!]!;
  const name = snap.strings[snap.nodes[i + iName]!]!;
  const size = snap.nodes[i + iSize]!;
  total += size;
  // objects by constructor; everything else by its type (strings, arrays, code…)
  const key = type === "object" || type === "closure" ? `${type} ${name}` : type;
  const r = rows.get(key) ?? { count: 0, bytes: 0 };
  r.count++;
  r.bytes += size;
  rows.set(key, r);
}
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
console.log(
  `heap: ${mb(total)} MB in ${(snap.nodes.length / width).toLocaleString("en-US")} objects`,
);
console.log("| what | count | MB |\n| --- | ---: | ---: |");
for (const [k, r] of [...rows].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top))
  console.log(`| ${k} | ${r.count.toLocaleString("en-US")} | ${mb(r.bytes)} |`);
