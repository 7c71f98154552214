// Test support (not exported): running the installed `tortie` shim the way a
// runtime does — a process in a node namespace, a minimal environment (no
// PATH), configuration on stdin — and killing it part-way when asked.

import { type ChildProcess, spawn } from "node:child_process";

/** What one plugin process did. */
export interface ShimRun {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `<binDir>/tortie` in network namespace `netns` with exactly `env`
 * (plus nothing: no PATH, as a runtime may give). `killAfterMs` sends
 * SIGKILL to the plugin process after that long (a runtime's timeout).
 * `onInvoked` runs the shim traced (bash -x) and is called once it has
 * taken its invocation time (`t0`, what "DEL wins" compares): a call
 * started after that is later, whatever the scheduler does with the two
 * processes' start-up (nsenter, env, bash). `onSpawn` gets the process
 * (nsenter, env and bash exec one another: its pid is the plugin's, and
 * once the shim runs in Node, that process's), for a caller that kills it
 * at a point of its own choosing.
 */
export function runShim(
  netns: string,
  binDir: string,
  env: Record<string, string>,
  stdin: string,
  opts: {
    killAfterMs?: number;
    timeoutMs?: number;
    onInvoked?: () => void;
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<ShimRun> {
  const t0 = performance.now();
  // nsenter execs the shim itself: the pid we kill is the plugin's
  const child: ChildProcess = spawn(
    "nsenter",
    [
      `--net=/var/run/netns/${netns}`,
      "--",
      "/usr/bin/env",
      "-i",
      ...kv(env),
      // TORTIE_SHIM_TRACE=1 shows the shim's steps (bash -x) on stderr
      ...(process.env.TORTIE_SHIM_TRACE || opts.onInvoked ? ["/bin/bash", "-x"] : []),
      `${binDir}/tortie`,
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  opts.onSpawn?.(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  let invoked = opts.onInvoked;
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
    if (invoked && /^\+ t0=/m.test(stderr)) {
      invoked();
      invoked = undefined;
    }
  });
  child.stdin?.on("error", () => undefined);
  child.stdin?.end(stdin);
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (opts.killAfterMs !== undefined)
    timers.push(setTimeout(() => child.kill("SIGKILL"), opts.killAfterMs));
  timers.push(setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000));
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      for (const t of timers) clearTimeout(t);
      invoked?.(); // (never traced that far: a waiter is not left hanging)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    }),
  );
}

const kv = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** The CNI error in a failed run's stdout, or undefined when stdout is not one. */
export function cniErrorOf(r: ShimRun): { code: number; msg: string } | undefined {
  try {
    const v = JSON.parse(r.stdout) as { code?: unknown; msg?: unknown };
    return typeof v.code === "number" && typeof v.msg === "string"
      ? { code: v.code, msg: v.msg }
      : undefined;
  } catch {
    return undefined;
  }
}
