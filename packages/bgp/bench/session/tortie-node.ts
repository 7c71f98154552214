// The Tortie library in a process of its own, driven over the IPC channel by
// a benchmark (bundled by bundle.ts, run with plain `node`, so that its CPU
// and RSS are the speaker's and not a TypeScript loader's).
//
// Messages in:  {op:"start", config, originate?: n}  {op:"count"}  {op:"stop"}
// Messages out: {op:"ready"}  {op:"count", n, t}  {op:"error", message}
// `count` is the sum of routeCount() over the configured peers; `t` is the
// wall-clock time it was read at. With BENCH_CPU_PROF=<file> in the
// environment, a CPU profile from "start" to "stop" is written there (for
// `node --cpu-prof`-style work on the process the benchmark measures); with
// BENCH_CPU_PROF_UNTIL=<n> as well, it is written at the first `count` of at
// least n instead (the measured window only, without the sessions' teardown).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { Speaker, type SpeakerConfigInput } from "../../src/index.js";
import { benchPrefix } from "./prefixes.js";
import { nowMs } from "./proc.js";

type In =
  | { op: "start"; config: SpeakerConfigInput; originate?: number }
  | { op: "count" }
  | { op: "stop" };

let speaker: Speaker | undefined;
const profFile = process.env.BENCH_CPU_PROF;
const inspector = profFile ? new Session() : undefined;
const profUntil = Number(process.env.BENCH_CPU_PROF_UNTIL ?? Number.POSITIVE_INFINITY);
let profiling = false;
async function writeProfile(): Promise<void> {
  if (!inspector || !profFile || !profiling) return;
  profiling = false;
  const { profile } = await inspector.post("Profiler.stop");
  writeFileSync(profFile, JSON.stringify(profile));
}
let peers: string[] = [];
const send = (m: object) => process.send?.(m);

process.on("message", (m: In) => {
  void (async () => {
    try {
      if (m.op === "start") {
        if (inspector) {
          inspector.connect();
          await inspector.post("Profiler.enable");
          await inspector.post("Profiler.start");
          profiling = true;
        }
        speaker = await Speaker.start(m.config);
        speaker.on("warning", () => {});
        peers = (m.config.peers ?? []).map((p) => p.address);
        // The table streamed in as a program would generate it: 10,000 prefixes a call.
        for (let i = 0; i < (m.originate ?? 0); i += 10_000) {
          const n = Math.min(10_000, m.originate! - i);
          speaker.originatePrefixes(Array.from({ length: n }, (_, k) => benchPrefix(i + k)));
        }
        send({ op: "ready" });
      } else if (m.op === "count") {
        let n = 0;
        for (const p of peers) n += speaker?.routeCount(p) ?? 0;
        send({ op: "count", n, t: nowMs() });
        if (n >= profUntil) await writeProfile();
      } else {
        await writeProfile();
        await speaker?.close();
        process.exit(0);
      }
    } catch (e) {
      send({ op: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
