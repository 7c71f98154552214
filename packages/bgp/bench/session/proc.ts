// What a process used, read from /proc: CPU seconds (utime + stime of every
// thread, or of its main thread), time spent runnable but waiting for a CPU,
// and peak resident set (VmHWM), and the machine's load average.
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

const USER_HZ = 100;

/**
 * The fields of a /proc `stat` file after the command name (which is in
 * parentheses and may hold spaces): [0] is the state, [7] minflt, [11] utime,
 * [12] stime.
 */
function statFields(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** utime and stime from a /proc `stat` file, in milliseconds. */
function statCpuSplit(path: string): { user: number; sys: number } {
  const f = statFields(path);
  return { user: (Number(f[11]) * 1000) / USER_HZ, sys: (Number(f[12]) * 1000) / USER_HZ };
}

/** utime + stime from a /proc `stat` file, in milliseconds. */
function statCpuMs(path: string): number {
  const { user, sys } = statCpuSplit(path);
  return user + sys;
}

/** utime and stime of `pid` apart, in milliseconds: user code and the kernel's work on its behalf. */
export function cpuSplitMs(pid: number): { user: number; sys: number } {
  return statCpuSplit(`/proc/${pid}/stat`);
}

/** utime + stime of `pid`, in milliseconds. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * utime + stime of `pid`'s main thread alone (its thread id is the pid), in
 * milliseconds: the rest of {@link cpuMs} is other threads' (for Node, V8's
 * compiler and GC helpers).
 */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** utime + stime of each of `pid`'s threads, in milliseconds, keyed "tid name". */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const path = `/proc/${pid}/task/${t}/stat`;
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, "utf8").trim();
      out.set(`${t} ${name}`, statCpuMs(path));
    } catch {
      // (a thread that ended meanwhile)
    }
  }
  return out;
}

/**
 * Minor page faults of `pid` so far (all threads): each is a page of fresh
 * memory touched for the first time, and on a VM a costly one.
 */
export function minorFaults(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`)[7]);
}

/**
 * How long `pid`'s threads together were runnable but not running — waiting
 * for a CPU another process or thread had — in milliseconds (the second
 * field of each thread's /proc schedstat, nanoseconds).
 */
export function runqueueWaitMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[1]);
    } catch {
      // (a thread that ended meanwhile)
    }
  }
  return ns / 1e6;
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
