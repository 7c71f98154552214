// Vitest global setup of the integration project: removes namespaces that
// crashed runs left, and after the run reports any namespace this run leaked.
import { sweepLeftovers } from "./names.js";
import { inCI } from "./prereqs.js";

export function setup(): void {
  if (process.getuid?.() !== 0) {
    if (inCI()) throw new Error("CI: integration tests need root (network namespaces, daemons)");
    return;
  }
  const removed = sweepLeftovers();
  if (removed.length) console.warn(`testbed: removed ${removed.length} leftover namespaces`);
}

export function teardown(): void {
  if (process.getuid?.() !== 0) return;
  // Workers have exited by now: whatever is left leaked (their pids are dead).
  const leaked = sweepLeftovers();
  if (leaked.length) {
    const msg = `testbed: tests leaked ${leaked.length} namespaces (now removed): ${leaked.join(", ")}`;
    if (inCI()) throw new Error(msg);
    console.warn(msg);
  }
}
