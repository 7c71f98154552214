// The benchmark's side of replay-feed.ts: capture what each BIRD feeder
// sends once, then, for each run, replay feeders started in the feeders'
// namespaces that open their sessions when told and report when they came up.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Host } from "@tortie/testbed";
import type { BirdSocket } from "./bird-socket.js";
import { nowMs } from "./proc.js";
import { type Feeder, within } from "./receivers.js";

/** Runs replay-feed.mjs in `host`; `onLine` sees each line it prints. */
function run(host: Host, entry: string, args: string[], onLine: (l: string) => void): ChildProcess {
  const child = spawn("ip", ["netns", "exec", host.netns, process.execPath, entry, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  createInterface({ input: child.stdout! }).on("line", onLine);
  return child;
}

/**
 * Captures the UPDATEs the BIRD feeder behind `ctl` sends to a receiver at
 * `rxAddress` (AS `rxAs`) until `prefixes` are announced, into `out`. The
 * feeder's `receiver` protocol is enabled for it and disabled after.
 */
export async function capture(
  rx: Host,
  entry: string,
  ctl: BirdSocket,
  rxAddress: string,
  rxAs: number,
  prefixes: number,
  out: string,
): Promise<{ messages: number; octets: number }> {
  let done!: (r: { messages: number; octets: number }) => void;
  let onListening!: () => void;
  const listening = new Promise<void>((r) => {
    onListening = r;
  });
  const result = new Promise<{ messages: number; octets: number }>((r) => {
    done = r;
  });
  const child = run(
    rx,
    entry,
    [
      "capture",
      "--listen",
      rxAddress,
      "--asn",
      String(rxAs),
      "--router-id",
      rxAddress,
      "--prefixes",
      String(prefixes),
      "--out",
      out,
    ],
    (l) => {
      if (l === "listening") onListening();
      const m = /^captured (\d+) (\d+)/.exec(l);
      if (m) done({ messages: Number(m[1]), octets: Number(m[2]) });
    },
  );
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  try {
    const code0 = await Promise.race([listening.then(() => 0), exited]);
    if (code0 !== 0) throw new Error(`replay-feed capture exited with ${code0}`);
    await ctl.cmd("enable receiver");
    // (a feeder that never sends its table fails the benchmark, not hangs it)
    const code = await within(Promise.race([result.then(() => 0), exited]), 300_000);
    if (code !== 0) throw new Error(`replay-feed capture exited with ${code}`);
    return await result;
  } finally {
    await ctl.cmd("disable receiver");
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** One run's replay feeders, each in its feeder's namespace with its captured file. */
export class ReplayFeeders {
  private constructor(
    private readonly children: ChildProcess[],
    private readonly established: Promise<number>[],
  ) {}

  /** Starts a replay feeder per feeder and waits until each has read its file. */
  static async start(
    hosts: readonly Host[],
    feeders: readonly Feeder[],
    entry: string,
    files: readonly string[],
    rxAddress: string,
  ): Promise<ReplayFeeders> {
    const ready: Promise<void>[] = [];
    const established: Promise<number>[] = [];
    const children = feeders.map((f, k) => {
      let onReady!: () => void;
      let onUp!: (ms: number) => void;
      let fail!: (e: Error) => void;
      ready.push(
        new Promise<void>((resolve, reject) => {
          onReady = resolve;
          fail = reject;
        }),
      );
      const up = new Promise<number>((resolve, reject) => {
        onUp = resolve;
        const prev = fail;
        fail = (e) => {
          prev(e);
          reject(e);
        };
      });
      up.catch(() => {}); // (reported through whoever awaits it)
      established.push(up);
      const child = run(
        hosts[k]!,
        entry,
        [
          "replay",
          "--from",
          f.address,
          "--to",
          rxAddress,
          "--asn",
          String(f.asn),
          "--router-id",
          f.address,
          "--file",
          files[k]!,
        ],
        (l) => {
          if (l === "ready") onReady();
          // (stamped here, on the benchmark's clock, as the BIRD feeders' state
          // is: another process's performance.timeOrigin can be ms off)
          if (l === "established") onUp(nowMs());
        },
      );
      // A feeder that ends before its session is up fails the run at once.
      child.once("exit", (code, signal) =>
        fail(new Error(`replay feeder ${k} exited (${code ?? signal})`)),
      );
      return child;
    });
    const feeding = new ReplayFeeders(children, established);
    try {
      await Promise.all(ready);
    } catch (e) {
      await feeding.stop();
      throw e;
    }
    return feeding;
  }

  /** The feeders' pids (`ip netns exec` execs in place). */
  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  /** Tells every feeder to open its session. */
  go(): void {
    for (const c of this.children) c.stdin!.write("go\n");
  }

  /** When the first session came up (the benchmark's clock, as it heard). */
  first(): Promise<number> {
    return Promise.race(this.established);
  }

  /** When the last session came up. */
  async last(): Promise<number> {
    return Math.max(...(await Promise.all(this.established)));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once("exit", () => r());
            c.kill("SIGTERM");
          }),
      ),
    );
  }
}
