// Decode benchmark of the wire codec, with BIRD ingesting the same bytes in
// the same run. Run as root: `npm run bench:decode -w @tortie/bgp`.
//
// 1. Codec alone: UPDATE streams packed the way speakers pack them — "dense"
//    (one attribute set, NLRI filled to 4096 octets, as BIRD sends a table
//    with shared attributes) and "sparse" (8 prefixes per UPDATE, each with
//    its own attributes) — cut by the Framer in 64 KiB chunks (socket reads)
//    and decoded; plus encoding 100,000 prefixes. Medians of 7 runs.
// 2. Side by side: the dense stream of 262,140 distinct prefixes
//    (every /17–/32 inside 198.18.0.0/15) decoded by Tortie, and written over
//    a real eBGP session into BIRD 2 until `birdc show route count` has them
//    all. Medians of 3; BIRD's time includes its RIB and TCP, Tortie's is
//    decode only (what the speaker will add on top is measured elsewhere).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createTopology, missingPrereqs, startBird, waitFor } from "@tortie/testbed";
import {
  codecContext,
  decodeMessage,
  encodeMessage,
  encodeUpdates,
  Framer,
  negotiateContext,
  type OpenMessage,
  openMessage,
  type PathAttribute,
  type Prefix,
  type UpdateMessage,
} from "../src/wire/index.js";
import { RawPeer } from "../test/fixtures/raw-peer.js";

// Every stream is encoded and decoded as on a session where both sides
// announced 4-octet AS support (the usual case, and what BIRD negotiates).
const CTX = codecContext({ fourOctetAs: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Every prefix of length 17..32 inside 198.18.0.0/15: 262,140 distinct. */
function benchPrefixes(): Prefix[] {
  const out: Prefix[] = [];
  for (let len = 32; len >= 17; len--) {
    const count = 2 ** (len - 15);
    for (let i = 0; i < count; i++) {
      const addr = (0xc6120000 + i * 2 ** (32 - len)) >>> 0;
      const full = Uint8Array.of(
        addr >>> 24,
        (addr >>> 16) & 0xff,
        (addr >>> 8) & 0xff,
        addr & 0xff,
      );
      out.push({ afi: 1, length: len, bytes: full.slice(0, (len + 7) >> 3) });
    }
  }
  return out;
}

function attrs(i: number): PathAttribute[] {
  return [
    { type: "origin", origin: 0 },
    { type: "as-path", segments: [{ type: 2, asns: [65002, 65010 + (i % 1000)] }] },
    { type: "next-hop", nextHop: "192.0.2.2" },
    { type: "med", med: i },
    { type: "communities", communities: [65002 * 65536 + (i & 0xffff)] },
  ];
}

/** Packs prefixes into UPDATEs of at most 4096 octets (`perUpdate` caps NLRI per message). */
function pack(prefixes: Prefix[], perUpdate: number, withdraw = false): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let i = 0;
  let n = 0;
  while (i < prefixes.length) {
    const a = withdraw ? [] : attrs(n++);
    const overhead = 23 + (withdraw ? 0 : 40);
    let size = overhead;
    const batch: Prefix[] = [];
    while (i < prefixes.length && batch.length < perUpdate) {
      const p = prefixes[i]!;
      const s = 1 + ((p.length + 7) >> 3);
      if (size + s > 4096) break;
      size += s;
      batch.push(p);
      i++;
    }
    const m: UpdateMessage = withdraw
      ? { type: "update", withdrawn: batch, attributes: [], nlri: [] }
      : { type: "update", withdrawn: [], attributes: a, nlri: batch };
    frames.push(encodeMessage(m, CTX));
  }
  return frames;
}

function concat(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** CPU time (user + system) of this process in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Frames (64 KiB reads) and decodes a stream; returns [wall ms, CPU ms, prefixes]. */
function decodeStream(stream: Uint8Array): [number, number, number] {
  const c0 = cpuMs();
  const t0 = performance.now();
  const framer = new Framer();
  let prefixes = 0;
  for (let o = 0; o < stream.length; o += 65536) {
    for (const frame of framer.push(stream.subarray(o, o + 65536))) {
      const m = decodeMessage(frame, CTX).message;
      if (m.type !== "update") continue;
      prefixes += m.nlri.length + m.withdrawn.length;
      for (const a of m.attributes) if (a.type === "mp-reach") prefixes += a.nlri.length;
    }
  }
  return [performance.now() - t0, cpuMs() - c0, prefixes];
}

/** Collects garbage between runs when node runs with --expose-gc (the npm script does). */
function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Medians of `runs` decodes of a stream, printed; returns the CPU-time median in ms. */
function codecRuns(name: string, stream: Uint8Array, runs = 7): number {
  decodeStream(stream); // warm-up
  decodeStream(stream);
  const wall: number[] = [];
  const cpu: number[] = [];
  let prefixes = 0;
  for (let r = 0; r < runs; r++) {
    collect();
    const [w, c, p] = decodeStream(stream);
    wall.push(w);
    cpu.push(c);
    prefixes = p;
  }
  const c = median(cpu);
  console.log(
    `${name.padEnd(34)} ${fmt(prefixes).padStart(10)} prefixes ${(stream.length / 1e6).toFixed(1).padStart(5)} MB` +
      `  CPU ${c.toFixed(1).padStart(7)} ms (wall ${median(wall).toFixed(1).padStart(7)})` +
      `  ${fmt((prefixes / c) * 1000).padStart(11)} prefixes/s  ${(((stream.length / c) * 1000) / 1e6).toFixed(1).padStart(5)} MB/s`,
  );
  return c;
}

/** CPU time (utime + stime) of a process in ms, from /proc (clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function birdSideBySide(
  dense: Uint8Array,
  withdrawAll: Uint8Array,
  count: number,
  tortieCpuMs: number,
) {
  const missing = missingPrereqs(["root", "netns", "bird"]);
  if (missing.length) {
    console.log(`\nBIRD side by side skipped: ${missing.join("; ")}`);
    return;
  }
  const topo = await createTopology({
    hosts: ["bird", "feeder"],
    segments: { lan: { members: { bird: ["192.0.2.1/24"], feeder: ["192.0.2.2/24"] } } },
  });
  const bird = await startBird(
    topo.host("bird"),
    `router id 192.0.2.1;
protocol device {}
protocol bgp feeder { local 192.0.2.1 as 65001; neighbor 192.0.2.2 as 65002; direct;
  ipv4 { import all; export none; }; }
`,
  );
  const peer = new RawPeer(topo.host("feeder"), "192.0.2.1", "192.0.2.2");
  try {
    const ours = openMessage({
      asn: 65002,
      holdTime: 240,
      bgpId: "192.0.2.2",
      capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }],
    });
    peer.send(ours);
    const theirs = await waitFor(() => peer.messages("open")[0], {
      what: "OPEN",
      timeoutMs: 15_000,
    });
    peer.ctx = negotiateContext(ours, theirs as OpenMessage);
    peer.send({ type: "keepalive" });
    await bird.waitEstablished("feeder");
    const routeCount = async () => {
      const out = await bird.birdc("show route count");
      return Number(/(\d+) of \d+ routes/.exec(out)?.[1] ?? "0");
    };
    const birdPid = Number(readFileSync(join(bird.dir, "bird.pid"), "utf8").trim());
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < 3; r++) {
      const c0 = procCpuMs(birdPid);
      const t0 = performance.now();
      peer.sendRaw(dense);
      await waitFor(async () => (await routeCount()) === count, {
        intervalMs: 10,
        timeoutMs: 30_000,
        what: "all routes",
      }).catch((e) => {
        throw new Error(
          `${e}; received ${JSON.stringify(peer.messages("notification"))}; relay: ${peer.log}`,
        );
      });
      ms.push(performance.now() - t0);
      cpu.push(procCpuMs(birdPid) - c0);
      peer.sendRaw(withdrawAll);
      await waitFor(async () => (await routeCount()) === 0, {
        intervalMs: 50,
        timeoutMs: 60_000,
        what: "withdrawn",
      });
    }
    const b = median(cpu);
    console.log(
      `\nSide by side, ${fmt(count)} IPv4 prefixes (dense stream, ${(dense.length / 1e6).toFixed(2)} MB), medians:` +
        `\n  Tortie decode (Framer + decodeMessage)       CPU ${tortieCpuMs.toFixed(1).padStart(7)} ms` +
        `\n  BIRD 2 ingest over eBGP (parse + RIB)        CPU ${b.toFixed(1).padStart(7)} ms` +
        `  (wall until all held ${median(ms).toFixed(0)} ms; CPU runs [${cpu.join(", ")}])` +
        `\n  ratio BIRD CPU / Tortie decode CPU               ${(b / tortieCpuMs).toFixed(2).padStart(7)}` +
        "\n  (BIRD's CPU includes its RIB and socket work, polled by `birdc` every 10 ms; Tortie's is decode only.)",
    );
  } finally {
    peer.stop();
    await bird.stop();
    await topo.destroy();
  }
}

/** 1,000,000 IPv6 /64s in MP_REACH (global + link-local next hop), 400 per UPDATE. */
function ipv6Stream(): Uint8Array {
  const v6: Prefix[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    v6.push({
      afi: 2,
      length: 64,
      bytes: Uint8Array.of(
        0x20,
        0x01,
        0x0d,
        0xb8,
        (i >>> 24) & 0xff,
        (i >>> 16) & 0xff,
        (i >>> 8) & 0xff,
        i & 0xff,
      ),
    });
  }
  const v6Frames: Uint8Array[] = [];
  for (let i = 0; i < v6.length; i += 400) {
    v6Frames.push(
      encodeMessage(
        {
          type: "update",
          withdrawn: [],
          attributes: [
            {
              type: "mp-reach",
              afi: 2,
              safi: 1,
              nextHop: "2001:db8::2",
              linkLocalNextHop: "fe80::2",
              nlri: v6.slice(i, i + 400),
            },
            ...attrs(i).filter((a) => a.type !== "next-hop"),
          ],
          nlri: [],
        },
        CTX,
      ),
    );
  }
  return concat(v6Frames);
}

async function main() {
  const distinct = benchPrefixes();
  const million: Prefix[] = [...distinct, ...distinct, ...distinct, ...distinct];
  const dense = concat(pack(distinct, Number.POSITIVE_INFINITY));
  const denseMillion = concat(pack(million, Number.POSITIVE_INFINITY));
  const sparseMillion = concat(pack(million, 8));
  const v6Stream = ipv6Stream();

  console.log(
    `Tortie wire codec — node ${process.version}, medians of 7 runs after 2 warm-ups, GC between runs; rates from CPU time\n`,
  );
  const denseMs = codecRuns("IPv4 dense (262,140 distinct)", dense);
  codecRuns("IPv4 dense ×4 (≈1M)", denseMillion);
  codecRuns("IPv4 sparse, 8 per UPDATE (≈1M)", sparseMillion);
  codecRuns("IPv6 /64 MP_REACH, 400 per UPDATE", v6Stream);

  // Encoding 100,000 prefixes (what the speaker originates), dense packing.
  const hundredK = distinct.slice(0, 100_000);
  const enc: number[] = [];
  for (let r = 0; r < 6; r++) {
    const c0 = cpuMs();
    pack(hundredK, Number.POSITIVE_INFINITY);
    if (r > 0) enc.push(cpuMs() - c0);
  }
  const e = median(enc);
  const split: number[] = [];
  const logical: UpdateMessage = {
    type: "update",
    withdrawn: [],
    attributes: attrs(0),
    nlri: hundredK,
  };
  for (let r = 0; r < 6; r++) {
    const c0 = cpuMs();
    encodeUpdates(logical, CTX);
    if (r > 0) split.push(cpuMs() - c0);
  }
  const s = median(split);
  console.log(
    `${"IPv4 encode 100,000 (dense)".padEnd(34)} ${"".padStart(35)}  CPU ${e.toFixed(1).padStart(7)} ms  ${fmt((100_000 / e) * 1000).padStart(26)} prefixes/s`,
  );
  console.log(
    `${"IPv4 encodeUpdates 100,000".padEnd(34)} ${"".padStart(35)}  CPU ${s.toFixed(1).padStart(7)} ms  ${fmt((100_000 / s) * 1000).padStart(26)} prefixes/s`,
  );

  await birdSideBySide(
    dense,
    concat(pack(distinct, Number.POSITIVE_INFINITY, true)),
    distinct.length,
    denseMs,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
