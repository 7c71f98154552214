// The long wire-fuzzing run of issue #19, benchmark-style: a Tortie Speaker,
// a real BIRD session beside it (which must not flap) and four raw peers
// (2-octet, 4-octet, ADD-PATH, Extended-Message sessions) sending seeded
// mutations of valid messages. Every crash, stall or over-long reply is
// written, with its exact bytes, to a JSON-lines file that `--replay` re-runs.
// The heap is measured after forced GCs along the way, to tell a one-off
// growth from a slow leak. Run as root:
//
//   npm run fuzz -w @tortie/bgp                      (= tsx --expose-gc bench/fuzz-wire.ts)
//   FUZZ_SEED=7 FUZZ_MESSAGES=10000 FUZZ_OUT=/tmp/f.jsonl npm run fuzz -w @tortie/bgp
//   npm run fuzz:replay -w @tortie/bgp -- /tmp/f.jsonl
//
// A replay sends each input to Tortie and then, side by side, to BIRD (the
// same bytes from the same raw peers, which BIRD has as passive peers), and
// prints both answers.
//
// FUZZ_MESSAGES is per session kind (default 5,000: 20,000 in all); FUZZ_OUT
// defaults to $TMPDIR/tortie-fuzz-findings-seed<seed>.jsonl.
// Exit status: 0 when nothing was found (or nothing replayed still fails), 1 otherwise.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTopology, missingPrereqs, startBird, waitFor } from "@tortie/testbed";
import type { SessionKind } from "../src/speaker/raw-peer.fixture.js";
import { Speaker } from "../src/speaker/speaker.js";
import { type Finding, type FuzzTarget, fuzzWire, replay } from "../test/wire-fuzz/campaign.js";

const missing = missingPrereqs(["root", "bird"]);
if (missing.length) {
  console.error(`bench/fuzz-wire: ${missing.join("; ")}`);
  process.exit(1);
}

const replayFile = process.argv[2] === "--replay" ? process.argv[3] : undefined;
if (process.argv[2] === "--replay" && !replayFile) {
  console.error("usage: fuzz-wire.ts --replay FILE.jsonl");
  process.exit(2);
}
const SEED = Number(process.env.FUZZ_SEED ?? 19);
const PER_KIND = Number(process.env.FUZZ_MESSAGES ?? 5000);
const OUT = process.env.FUZZ_OUT ?? join(tmpdir(), `tortie-fuzz-findings-seed${SEED}.jsonl`);
const STALL_MS = Number(process.env.FUZZ_STALL_MS ?? 3000);
const TORTIE = "192.0.2.2";
const RAW: Record<SessionKind, string> = {
  "2-octet": "192.0.2.13",
  "4-octet": "192.0.2.14",
  "add-path": "192.0.2.15",
  extended: "192.0.2.16",
};
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => (n / 1048576).toFixed(1);

function heap(): { heapUsed: number; rss: number } {
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

const topo = await createTopology({
  hosts: ["bird", "raw", "tortie"],
  segments: {
    lan: {
      members: {
        bird: ["192.0.2.1/24"],
        raw: Object.values(RAW).map((a) => `${a}/24`),
        tortie: [`${TORTIE}/24`],
      },
    },
  },
});
let failed = false;
let tortie: Speaker | undefined;
let bird: Awaited<ReturnType<typeof startBird>> | undefined;
try {
  bird = await startBird(topo.host("bird"), {
    routerId: "192.0.2.1",
    localAs: 65001,
    direct: false,
    static4: ["203.0.113.0/26", "203.0.113.64/26"],
    peers: [
      { name: "tortie", neighbor: TORTIE, neighborAs: 65002, ipv4: true },
      // The raw peers, for the side-by-side replay.
      ...Object.entries(RAW).map(([kind, address]) => ({
        name: `raw_${kind.replace("-", "_")}`,
        neighbor: address,
        neighborAs: 65099,
        passive: true,
        ipv4: kind === "add-path" ? { addPaths: "on" as const } : true,
        ...(kind === "extended" ? { extra: "  enable extended messages on;" } : {}),
      })),
    ],
  });
  tortie = await Speaker.start({
    asn: 65002,
    routerId: TORTIE,
    netns: topo.host("tortie").nsPath,
    originate: [{ prefix: "198.51.100.128/26" }],
    peers: [
      { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
      ...Object.entries(RAW).map(([kind, address]) => ({
        address,
        asn: 65099,
        passive: true,
        errorWaitTime: [0, 0] as [number, number],
        ...(kind === "add-path" ? { addPath: "both" as const } : {}),
      })),
    ],
  });
  const speaker = tortie;
  let sessionErrors = 0;
  speaker.on("session-error", (e) => {
    sessionErrors++;
    console.error(`session-error ${e.peer} ${e.where}: ${e.message.split("\n")[0]}`);
  });
  await waitFor(() => speaker.peer("192.0.2.1")?.state === "Established", {
    what: "BIRD session",
  });
  await bird.waitEstablished("tortie");
  const birdBefore = (await bird.protocol("tortie"))!;
  const target: FuzzTarget = {
    nsPath: topo.host("raw").nsPath,
    remote: TORTIE,
    peers: RAW,
    asn: 65099,
    state: (a) => speaker.peer(a)?.state,
  };

  if (replayFile) {
    const inputs = readFileSync(replayFile, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Finding);
    console.log(`replaying ${inputs.length} input(s) from ${replayFile}`);
    const mine = await replay(target, inputs, STALL_MS);
    console.log("Tortie done; the same inputs to BIRD…");
    // The same bytes to BIRD. Its state comes from `birdc`, polled in the background.
    const birdState = new Map<string, string>();
    let polling = true;
    const names = Object.fromEntries(
      Object.entries(RAW).map(([k, a]) => [`raw_${k.replace("-", "_")}`, a]),
    );
    const poll = (async () => {
      while (polling) {
        for (const p of await bird!.protocols()) {
          const a = names[p.name];
          if (!a) continue;
          // Ready for a connection when passive and not in BIRD's error wait.
          const info = p.info.split(" ")[0] ?? "";
          birdState.set(a, info === "Passive" || info === "Active" ? "Active" : info || p.state);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const theirs = await replay(
      { ...target, remote: "192.0.2.1", state: (a) => birdState.get(a) },
      inputs,
      STALL_MS,
    ).finally(() => {
      polling = false;
    });
    await poll;
    for (const [i, r] of mine.entries()) {
      const bad = r.outcome === "stall" || r.outcome === "crash" || r.outcome === "oversize";
      if (bad) failed = true;
      const b = theirs[i]!;
      const name = (inputs[i] as Finding).seed ?? "";
      console.log(
        `${bad ? "STILL" : "ok   "} ${r.input.kind.padEnd(8)} ${r.input.phase.padEnd(11)} ` +
          `Tortie: ${`${r.outcome} ${r.detail}`.padEnd(34)} BIRD: ${`${b.outcome} ${b.detail}`.padEnd(34)} ${name}`,
      );
    }
  } else {
    writeFileSync(OUT, "");
    const start = heap();
    console.log(
      `seed ${SEED}: ${PER_KIND} inputs per session kind (${4 * PER_KIND} in all); ` +
        `findings → ${OUT}; gc ${gc ? "on" : "OFF (run with --expose-gc)"}`,
    );
    console.log(`heap after set-up: ${mb(start.heapUsed)} MB, rss ${mb(start.rss)} MB`);
    const samples: { done: number; sessions: number; heapUsed: number; rss: number }[] = [];
    let sessionsSeen = 0;
    let nextSample = 0;
    const report = await fuzzWire(target, {
      seed: SEED,
      messages: PER_KIND,
      stallMs: STALL_MS,
      onFinding(f) {
        appendFileSync(OUT, `${JSON.stringify(f)}\n`);
        console.log(
          `FINDING ${f.outcome} ${f.kind} ${f.phase} #${f.index} ${f.detail.split("\n")[0]}`,
        );
      },
      onProgress(done, total) {
        if (done < nextSample) return;
        nextSample += Math.ceil(total / 10);
        sessionsSeen = speaker.status().peers.reduce((n, p) => n + p.flaps, 0);
        const h = heap();
        samples.push({ done, sessions: sessionsSeen, ...h });
        console.log(
          `  ${String(done).padStart(6)} inputs  raw-peer sessions ended ${String(sessionsSeen).padStart(6)}  ` +
            `heapUsed ${mb(h.heapUsed)} MB  rss ${mb(h.rss)} MB`,
        );
      },
    });
    const end = heap();
    samples.push({ done: report.messages, sessions: sessionsSeen, ...end });
    const birdAfter = (await bird.protocol("tortie"))!;
    const t = speaker.peer("192.0.2.1")!;
    const birdSteady =
      birdAfter.info.startsWith("Established") &&
      birdAfter.since === birdBefore.since &&
      t.state === "Established" &&
      t.flaps === 0;
    // Slow leak or one-off: the heap's slope over the second half of the run.
    const half = samples.filter((s) => s.done >= report.messages / 2);
    const first = half[0]!;
    const last = half[half.length - 1]!;
    const perK = ((last.heapUsed - first.heapUsed) / Math.max(1, last.done - first.done)) * 1000;
    console.log(
      [
        "",
        `inputs           ${report.messages} in ${(report.ms / 1000).toFixed(1)} s ` +
          `(${((report.messages / report.ms) * 1000).toFixed(0)}/s), ${report.sessions} raw-peer sessions`,
        `outcomes         ${JSON.stringify(report.outcomes)}`,
        `NOTIFICATIONs    ${JSON.stringify(
          Object.fromEntries(Object.entries(report.notifications).sort((a, b) => b[1] - a[1])),
        )}`,
        `by seed type     ${JSON.stringify(report.bySeedType)}`,
        `internal errors  ${speaker.status().internalErrors} (session-error events ${sessionErrors})`,
        `BIRD session     ${birdSteady ? "steady (same since, no flap, Established)" : `MOVED: ${birdAfter.info} since ${birdAfter.since} (was ${birdBefore.since}), Tortie flaps ${t.flaps}`}`,
        `heapUsed         ${mb(start.heapUsed)} MB at start, ${mb(first.heapUsed)} MB at ${first.done}, ` +
          `${mb(last.heapUsed)} MB at ${last.done} → ${(perK / 1024).toFixed(1)} KB per 1,000 inputs over the second half`,
        `rss              ${mb(start.rss)} MB at start, ${mb(end.rss)} MB at the end`,
        `findings         ${report.findings.length} (written to ${OUT})`,
      ].join("\n"),
    );
    if (report.findings.length || !birdSteady) failed = true;
  }
} finally {
  await tortie?.close();
  await bird?.stop();
  await topo.destroy();
}
process.exit(failed ? 1 : 0);
