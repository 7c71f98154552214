// A daemon running in the foreground inside a host: its output is kept (for
// the failing test's log), its exit is observed, and stop() ends it for sure.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Host } from "../topology.js";
import { type Truthy, type WaitOptions, waitFor } from "../wait.js";

const MAX_LOG = 4 * 1024 * 1024;

/** Anything whose logs a failing test should print. */
export interface HasLogs {
  readonly label: string;
  logs(): string;
}

export interface DaemonOptions {
  readonly label: string;
  /** The host to run in; undefined runs in the test's own namespace (loopback services). */
  readonly host: Host | undefined;
  readonly argv: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory (made if absent, removed on stop unless `keepDir`). */
  readonly dir?: string;
  /** Extra log files the daemon writes, included in logs(). */
  readonly logFiles?: readonly string[];
}

/** A process started in a host with `ip netns exec` (or directly, without a host). */
export class Daemon implements HasLogs {
  readonly label: string;
  readonly host: Host | undefined;
  readonly dir: string;
  private readonly child: ChildProcess;
  private output = "";
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly logFiles: readonly string[];

  constructor(opts: DaemonOptions) {
    this.label = opts.label;
    this.host = opts.host;
    this.dir = opts.dir ?? makeWorkDir(opts.label);
    this.logFiles = opts.logFiles ?? [];
    const argv = opts.host
      ? ["ip", "netns", "exec", opts.host.netns, ...opts.argv]
      : [...opts.argv];
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: this.dir,
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const append = (b: Buffer) => {
      this.output += b.toString("utf8");
      if (this.output.length > MAX_LOG) this.output = this.output.slice(-MAX_LOG);
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.on("error", (err) => {
        append(Buffer.from(`spawn error: ${err.message}\n`));
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  /** The process id (of `ip netns exec`, which execs the daemon). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The daemon's stdin, for daemons driven by commands on stdin. */
  get stdin(): NodeJS.WritableStream | null {
    return this.child.stdin;
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Everything the daemon printed, plus its log files. */
  logs(): string {
    let s = `--- ${this.label} (pid ${this.pid}) in ${this.host?.netns ?? "root netns"}${this.exitInfo ? ` exited ${JSON.stringify(this.exitInfo)}` : ""} ---\n${this.output}`;
    for (const f of this.logFiles) {
      try {
        s += `\n--- ${f} ---\n${readFileSync(f, "utf8").slice(-MAX_LOG)}`;
      } catch {
        // not written yet
      }
    }
    return s;
  }

  /** Sends a signal (SIGSTOP/SIGCONT to freeze and thaw, for hold-timer tests). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** Polls `probe` until truthy; fails fast with the logs if the daemon exits meanwhile. */
  waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
    return waitFor(
      () => {
        if (!this.running) {
          throw new DaemonExitedError(this);
        }
        return probe();
      },
      { ...opts, what: `${this.label}: ${opts.what ?? "condition"}` },
    ).catch((e) => {
      if (!this.running) throw new DaemonExitedError(this);
      throw e;
    });
  }

  /**
   * Stops the daemon (SIGTERM, then SIGKILL after `graceMs`) and removes its
   * work dir unless `keepDir` (a daemon to be started again on its data);
   * its output stays readable through logs().
   */
  async stop(graceMs = 3000, opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.running) {
      this.child.kill("SIGCONT");
      this.child.kill("SIGTERM");
      const t = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    this.logs = (
      (saved: string) => () =>
        saved
    )(this.logs());
    if (!opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The daemon exited while a test waited on it. */
export class DaemonExitedError extends Error {
  override readonly name = "DaemonExitedError";
  /** Ends any waitFor at once. */
  readonly fatal = true;
  constructor(d: Daemon) {
    super(`${d.label} exited unexpectedly\n${d.logs()}`);
  }
}

/** A fresh private directory for a daemon's config, sockets and logs. */
export function makeWorkDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `tortie-${label.replace(/[^a-zA-Z0-9-]/g, "_")}-`));
}
