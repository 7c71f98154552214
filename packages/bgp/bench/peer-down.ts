// A full-table peer going down (RFC 4271 §8.2.2: every route learned on the
// session is withdrawn): 1,000,000 paths of one peer removed from a `Rib`,
// the way the speaker does it now — `Rib.dropPeer`, the `routes` event's
// route keys left unmade until read — against the way it did before
// a66030c: a walk of the peer's routes making a text key per route, then
// `Rib.flushPeer` returning every delta. The RIB core alone (no sockets);
// each run in a fresh child process, the two ways alternating.
//
//   npx esbuild packages/bgp/bench/peer-down.ts --bundle --platform=node --format=esm \
//     --external:ip-address --external:zod --outfile=node_modules/.cache/peer-down.mjs
//   node node_modules/.cache/peer-down.mjs [--runs R] [--prefixes N]
import { fork } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Rib } from "../src/rib/rib.js";
import { routeKey } from "../src/speaker/routes.js";
import { lazyArray, prefixText } from "../src/speaker/update-prefixes.js";
import type { Prefix } from "../src/wire/prefix.js";

const { values: opt } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    prefixes: { type: "string", default: "1000000" },
    child: { type: "string" },
  },
});
const N = Number(opt.prefixes);
const WAYS = ["before", "now"] as const;
type Way = (typeof WAYS)[number];

/** The i-th prefix: /32s of 198.18.0.0/15 first (131,072), then /24s from 198.20.0.0. */
function prefix(i: number): Prefix {
  const a = i < 131072 ? 0xc6120000 + i : 0xc6140000 + (i - 131072) * 256;
  const n = i < 131072 ? 4 : 3;
  return {
    afi: 1,
    length: n * 8,
    bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255).slice(0, n),
  };
}

function run(way: Way): { wallMs: number; cpuMs: number; withdrawn: number } {
  const rib = new Rib({ localAs: 65002, routerId: "192.0.2.2" });
  const id = "192.0.2.11";
  rib.addPeer({ id, address: id, asn: 65011, sharedSubnets: ["192.0.2.0/24"] });
  for (let i = 0; i < N; i += 800) {
    const batch: Prefix[] = [];
    for (let k = i; k < Math.min(N, i + 800); k++) batch.push(prefix(k));
    rib.announce(id, batch, {
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [65011] }] },
        { type: "next-hop", nextHop: id },
      ],
    });
  }
  // The speaker always subscribes (it turns deltas into events when someone listens).
  rib.subscribe(() => {});
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let withdrawn: readonly string[];
  if (way === "before") {
    const keys: string[] = [];
    for (const { prefix: p, path } of rib.routes({ peer: id, bestOnly: false }))
      keys.push(routeKey(prefixText(p), path.pathId || undefined));
    rib.flushPeer(id);
    withdrawn = keys;
  } else {
    const gone = rib.dropPeer(id);
    withdrawn = lazyArray(gone.length, () => {
      const keys: string[] = [];
      for (let i = 0; i < gone.length; i++) keys.push(routeKey(prefixText(gone.prefix(i))));
      return keys;
    });
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (rib.size !== 0) throw new Error(`${rib.size} destinations left`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, withdrawn: withdrawn.length };
}

function child(way: Way): Promise<ReturnType<typeof run>> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ["--child", way, "--prefixes", String(N)]);
    c.once("message", (m) => resolve(m as ReturnType<typeof run>));
    c.once("error", reject);
    c.once("exit", (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
  });
}

if (opt.child) {
  process.send?.(run(opt.child as Way));
  process.disconnect?.();
} else {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const got: Record<Way, ReturnType<typeof run>[]> = { before: [], now: [] };
  console.log(
    `peer-down: ${N} paths of one peer; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (let r = 0; r < Number(opt.runs); r++)
    for (const w of WAYS) {
      const s = await child(w);
      got[w].push(s);
      console.log(
        `run ${r + 1} ${w}: ${s.wallMs.toFixed(0)} ms wall, ${s.cpuMs.toFixed(0)} ms CPU, ${s.withdrawn} withdrawn`,
      );
    }
  for (const w of WAYS)
    console.log(
      `${w}: median ${median(got[w].map((s) => s.wallMs)).toFixed(0)} ms wall, ${median(got[w].map((s) => s.cpuMs)).toFixed(0)} ms CPU`,
    );
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}
