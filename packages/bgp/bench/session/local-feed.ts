// In-process receive profile: pre-encoded UPDATEs (as BIRD packs them) fed
// over loopback TCP from a child process into a Speaker, no namespaces. For
// `node --cpu-prof` work on the receive path; the side-by-side benchmark
// with BIRD is bench/ingest.ts.
//
//   npx tsx packages/bgp/bench/session/local-feed.ts [--prefixes N] [--feeders F]
//       [--export none|all] [--order shuffled|sorted] [--prof out.cpuprofile]
//   --prof writes a CPU profile of Established → all held only.
//   --order: BIRD sends a table in the order of its own hash table (a FIB
//   walk), not sorted, so by default every feeder sends the prefixes in one
//   fixed pseudo-random order; `sorted` sends them in address order (as FRR
//   and GoBGP, which walk a radix tree, would).
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Speaker } from "../../src/index.js";
import {
  codecContext,
  decodeMessage,
  encodeMessage,
  Framer,
  openMessage,
  type Prefix,
} from "../../src/wire/index.js";
import { EXPORT_NONE } from "./receivers.js";

const { values: opt } = parseArgs({
  options: {
    prefixes: { type: "string", default: "1000000" },
    feeders: { type: "string", default: "1" },
    child: { type: "string" },
    port: { type: "string" },
    prof: { type: "string" },
    export: { type: "string", default: "none" },
    order: { type: "string", default: "shuffled" },
  },
});
const N = Number(opt.prefixes);
const F = Number(opt.feeders);
if (opt.order !== "shuffled" && opt.order !== "sorted")
  throw new Error(`--order takes shuffled or sorted, not ${opt.order}`);

/** The order prefixes are sent in: 0…n−1, or one fixed permutation of it (xorshift32, seed 1). */
function sendOrder(n: number, shuffled: boolean): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffled) return order;
  let x = 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function prefix(i: number): Prefix {
  if (i < 131072) {
    const a = 0xc6120000 + i;
    return {
      afi: 1,
      length: 32,
      bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255),
    };
  }
  const a = 0xc6140000 + (i - 131072) * 256;
  return { afi: 1, length: 24, bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255) };
}

async function feeder(k: number, port: number): Promise<void> {
  const ctx = codecContext({ fourOctetAs: true });
  const asn = 65011 + k;
  const chunks: Uint8Array[] = [];
  let batch: Prefix[] = [];
  const flush = () => {
    chunks.push(
      encodeMessage(
        {
          type: "update",
          withdrawn: [],
          attributes: [
            { type: "origin", origin: 0 },
            { type: "as-path", segments: [{ type: 2, asns: [asn, 64999] }] },
            { type: "next-hop", nextHop: `192.0.2.${11 + k}` },
          ],
          nlri: batch,
        },
        ctx,
      ),
    );
    batch = [];
  };
  let bytes = 0;
  const order = sendOrder(N, opt.order === "shuffled");
  for (let i = 0; i < N; i++) {
    const p = prefix(order[i]!);
    if (bytes + 1 + p.bytes.length > 4096 - 19 - 4 - 30) {
      flush();
      bytes = 0;
    }
    batch.push(p);
    bytes += 1 + p.bytes.length;
  }
  if (batch.length) flush();
  const s = connect({ port, host: "127.0.0.1", localAddress: `127.0.0.${11 + k}` });
  const framer = new Framer();
  let up = false;
  s.on("data", (d) => {
    for (const m of framer.push(d)) {
      const msg = decodeMessage(m, ctx).message;
      if (msg.type === "open") s.write(encodeMessage({ type: "keepalive" }, ctx));
      if (msg.type === "keepalive" && !up) {
        up = true;
        for (const c of chunks) s.write(c);
      }
    }
  });
  s.on("connect", () =>
    s.write(encodeMessage(openMessage({ asn, holdTime: 240, bgpId: `192.0.2.${11 + k}` }), ctx)),
  );
  s.on("error", () => {});
  process.on("message", () => process.exit(0));
  await new Promise(() => {});
}

if (opt.child !== undefined) {
  await feeder(Number(opt.child), Number(opt.port));
} else {
  const peers = Array.from({ length: F }, (_, k) => ({
    address: `127.0.0.${11 + k}`,
    asn: 65011 + k,
    passive: true,
    multihop: 2,
    ...(opt.export === "none" ? { exportFilters: EXPORT_NONE } : {}),
  }));
  const speaker = await Speaker.start({
    asn: 65002,
    routerId: "192.0.2.2",
    listen: { address: "127.0.0.1", port: 0 },
    peers,
  });
  speaker.on("warning", () => {});
  const st = speaker.status().listen;
  const port = st === false ? 0 : st.port;
  const kids = peers.map((_, k) =>
    fork(
      fileURLToPath(import.meta.url),
      [
        ...["--child", String(k), "--port", String(port), "--prefixes", String(N)],
        ...["--order", opt.order],
      ],
      {
        execArgv: process.execArgv.filter((a) => !a.startsWith("--cpu-prof")),
      },
    ),
  );
  const inspector = new Session();
  inspector.connect();
  if (opt.prof) await inspector.post("Profiler.enable");
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  // The window opens at the first session's Established, as the event fires
  // (a timer polling for it would fire late while UPDATEs are being taken).
  speaker.once("peer-up", () => {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    if (opt.prof) void inspector.post("Profiler.start");
  });
  for (;;) {
    const n = peers.reduce((s, p) => s + speaker.routeCount(p.address), 0);
    if (n >= N * F) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (opt.prof) {
    const { profile } = await inspector.post("Profiler.stop");
    writeFileSync(opt.prof, JSON.stringify(profile));
  }
  console.log(
    `local-feed: ${F} × ${N} ${opt.order}: wall ${wall.toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
  for (const k of kids) k.send("bye");
  await speaker.close();
  process.exit(0);
}
