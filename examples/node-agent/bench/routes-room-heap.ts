// The agent's own per-route memory, apart from the speaker's RIB and the
// netlink reconciler: the routes room (RoutesApplier) after 100,000 best-path
// changes, with a stub in place of the reconciler (it keeps nothing). Heap
// after a full GC, minus the heap before.
//
//   node --expose-gc --import tsx --conditions=source examples/node-agent/bench/routes-room-heap.ts
import { RoutesApplier } from "../src/rooms/routes/applier.js";

const N = Number(process.env.BENCH_PREFIXES ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("run with node --expose-gc");
  process.exit(2);
}
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

// The changes as the speaker hands them over: fresh strings per event.
function changes(from: number, n: number): Map<string, readonly string[]> {
  const m = new Map<string, readonly string[]>();
  for (let i = from; i < from + n; i++) {
    const a = 0xc6120000 + i;
    m.set(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32`, [
      ["192.0.2", "1"].join("."),
    ]);
  }
  return m;
}

const before = heap();
const applier = new RoutesApplier();
// no netlink: learned routes are only recorded (the reconciler is absent until start())
for (let i = 0; i < N; i += 1000) applier.setLearned(changes(i, 1000));
const after = heap();
console.log(
  `routes room with ${applier.learnedCount.toLocaleString("en-US")} learned routes: ${((after - before) / 1024 / 1024).toFixed(1)} MB of heap (${((after - before) / applier.learnedCount).toFixed(0)} B per route)`,
);
