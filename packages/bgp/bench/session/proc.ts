// What a process used, read from /proc: CPU seconds (utime + stime of every
// thread, or of its main thread) and peak resident set (VmHWM), and the machine's load average.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

const USER_HZ = 100;

/** utime + stime of `pid`, in milliseconds. */
export function cpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
}

/**
 * utime + stime of `pid`'s main thread alone (its thread id is the pid), in
 * milliseconds: the rest of {@link cpuMs} is other threads' (for Node, V8's
 * compiler and GC helpers).
 */
export function mainThreadCpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
}

/** Peak resident set size of `pid` (VmHWM), in MiB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** `uptime`'s three load averages, as "0.52, 0.61, 0.70". */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(", ");
}

/** Wall-clock milliseconds comparable between processes (sub-millisecond). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
