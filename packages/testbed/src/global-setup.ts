// Vitest global setup of the integration project: removes namespaces that
// crashed runs left, and after the run reports any namespace this run leaked.
import { execFileSync } from "node:child_process";
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

/** Daemons the testbed starts; none may outlive a CI run. */
const DAEMONS = ["bird", "bgpd", "zebra", "gobgpd", "etcd", "exabgp"];

function strayDaemons(): string[] {
  try {
    const out = execFileSync(
      "pgrep",
      ["-a", "-f", `^(/usr/lib/frr/|/usr/bin/python3 /usr/sbin/)?(${DAEMONS.join("|")})( |$)`],
      {
        encoding: "utf8",
      },
    );
    return out.split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

export function teardown(): void {
  if (process.getuid?.() !== 0) return;
  // Workers have exited by now: whatever is left leaked (their pids are dead).
  const leaked = sweepLeftovers();
  const problems: string[] = [];
  if (leaked.length)
    problems.push(`tests leaked ${leaked.length} namespaces (now removed): ${leaked.join(", ")}`);
  // In CI nothing else runs these daemons, so any still alive was left by a test.
  if (inCI()) {
    const stray = strayDaemons();
    if (stray.length) problems.push(`daemons left running: ${stray.join("; ")}`);
  }
  if (problems.length) {
    const msg = `testbed: ${problems.join(" | ")}`;
    if (inCI()) throw new Error(msg);
    console.warn(msg);
  }
}
