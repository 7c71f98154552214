// Per-run names for namespaces, and the sweeper that removes what crashed runs left.
//
// Every namespace the testbed makes is called `tb<pid36>-<rand>-<name>`: the
// creating process's pid in base 36 and a random tag. A sweeper removes
// namespaces whose creating process is gone, so that concurrent test runs
// (several vitest workers, several developers' shells) never remove each
// other's hosts, and leftovers of a crashed run vanish at the next start.
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { execSync } from "./exec.js";

// "-" is not a base-36 digit, so the pid and the tag never run together.
const PREFIX_RE = /^tb([0-9a-z]+)-([0-9a-z]+)-/;

/** A short tag unique to this process and call, e.g. `tb3k-9f2a-`. */
export function newRunPrefix(): string {
  const rand = randomBytes(3).readUIntBE(0, 3).toString(36);
  return `tb${process.pid.toString(36)}-${rand}-`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Names of all testbed namespaces present now, with the pid that made them. */
export function listTestbedNamespaces(): { name: string; pid: number }[] {
  let names: string[];
  try {
    names = readdirSync("/var/run/netns");
  } catch {
    return [];
  }
  const out: { name: string; pid: number }[] = [];
  for (const name of names) {
    const m = PREFIX_RE.exec(name);
    if (m?.[1]) out.push({ name, pid: Number.parseInt(m[1], 36) });
  }
  return out;
}

/** Kills every process inside a namespace, then deletes it. Never throws. */
export function destroyNamespace(name: string): void {
  try {
    const pids = execSync(["ip", "netns", "pids", name]).stdout.split(/\s+/).filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace may already be gone
  }
  try {
    execSync(["ip", "netns", "del", name]);
  } catch {
    // already gone
  }
}

/** Removes namespaces left by testbed processes that no longer run. Returns their names. */
export function sweepLeftovers(): string[] {
  const removed: string[] = [];
  for (const { name, pid } of listTestbedNamespaces()) {
    if (pid !== process.pid && !pidAlive(pid)) {
      destroyNamespace(name);
      removed.push(name);
    }
  }
  return removed;
}
