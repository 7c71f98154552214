// The receivers a benchmark compares, each started fresh in the `rx` host
// (address RX_ADDRESS, AS RX_AS) with every feeder as a passive peer, and
// each answering one question cheaply: how many routes do you hold from the
// feeders? Polled through each one's own interface: BIRD's and FRR's control
// sockets (kept open), the Tortie library over IPC, the tortie-bgp daemon's
// control socket, GoBGP's CLI (`gobgp global rib summary`).
import { type ChildProcess, fork, spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Bird,
  type Frr,
  frrBgpdConfig,
  type Gobgp,
  type Host,
  startBird,
  startFrr,
  startGobgp,
  waitFor,
} from "@tortie/testbed";
import { JIT_FLAGS, V8_PROCESS_FLAGS } from "../../src/cli/jit-tuning.js";
import { BirdSocket } from "./bird-socket.js";
import { VtySocket } from "./vty-socket.js";

export const RX_ADDRESS = "192.0.2.2";
export const RX_AS = 65002;

/** A BGP neighbour of the receiver: a feeder. */
export interface Feeder {
  readonly address: string;
  readonly asn: number;
}

/** A running receiver. */
export interface Receiver {
  /** The process whose CPU and peak RSS are reported. */
  readonly pid: number;
  /** Routes held from all feeders, as the receiver itself counts them. */
  held(): Promise<number>;
  /** How often `held()` may be polled, in ms. */
  readonly pollMs: number;
  /** Bytes of log the receiver wrote, when it matters (tortie-bgp). */
  logBytes?(): number;
  stop(): Promise<void>;
}

/** The receivers, in the order the benchmark runs them. */
export const RECEIVERS = ["bird", "tortie", "tortie-tuned", "tortie-bgp", "frr", "gobgp"] as const;
export type ReceiverName = (typeof RECEIVERS)[number];

export const RECEIVER_LABEL: Record<ReceiverName, string> = {
  bird: "BIRD 2.0.12",
  tortie: "Tortie library (own process)",
  "tortie-tuned": "Tortie library (own process, tortie-bgp's node flags)",
  "tortie-bgp": "tortie-bgp daemon",
  frr: "FRR 8.4.4 bgpd",
  gobgp: "GoBGP 3.10.0",
};

/** Paths of the bundled Tortie entry points (bundle.ts). */
export interface TortieBundles {
  readonly library: string;
  readonly daemon: string;
}

/**
 * A BGPFilter rejecting every IPv4 route on export: Tortie's form of the
 * BIRD receiver's `export none`, so that both only take routes in. (Without
 * it a Tortie receiver of ten feeders would also re-advertise every best path
 * to the nine others: transit work the BIRD receiver does not do.)
 */
export const EXPORT_NONE = [
  { metadata: { name: "export-none" }, spec: { exportV4: [{ action: "Reject" }] } },
];

/** How the Tortie receivers export (`none`: as the BIRD receiver; `all`: the default policy). */
export type TortieExport = "none" | "all";

/** Starts one receiver in `host`, peering passively with every feeder. */
export function startReceiver(
  name: ReceiverName,
  host: Host,
  feeders: readonly Feeder[],
  bundles: TortieBundles,
  tortieExport: TortieExport = "none",
): Promise<Receiver> {
  const tortiePeers = feeders.map((f) => ({
    address: f.address,
    asn: f.asn,
    passive: true,
    ...(tortieExport === "none" ? { exportFilters: EXPORT_NONE } : {}),
  }));
  switch (name) {
    case "bird":
      return birdReceiver(host, feeders);
    case "tortie":
      return tortieLibrary(host, bundles.library, {
        asn: RX_AS,
        routerId: RX_ADDRESS,
        peers: tortiePeers,
      });
    case "tortie-tuned":
      // The library in a program that follows the README's advice for a
      // full table: node started with the flags the daemon runs with.
      return tortieLibrary(
        host,
        bundles.library,
        { asn: RX_AS, routerId: RX_ADDRESS, peers: tortiePeers },
        undefined,
        [...V8_PROCESS_FLAGS, JIT_FLAGS],
      );
    case "tortie-bgp":
      return tortieDaemon(host, bundles.daemon, tortiePeers);
    case "frr":
      return frrReceiver(host, feeders);
    case "gobgp":
      return gobgpReceiver(host, feeders);
  }
}

const feederName = (i: number) => `f${i}`;

async function birdReceiver(host: Host, feeders: readonly Feeder[]): Promise<Receiver> {
  const bird: Bird = await startBird(host, {
    routerId: RX_ADDRESS,
    localAs: RX_AS,
    direct: false,
    peers: feeders.map((f, i) => ({
      name: feederName(i),
      neighbor: f.address,
      neighborAs: f.asn,
      passive: true,
      ipv4: { import: "all", export: "none" },
    })),
  });
  const ctl = await BirdSocket.connect(bird.ctl);
  return {
    pid: bird.pid!,
    pollMs: 10,
    async held() {
      let n = 0;
      for (let i = 0; i < feeders.length; i++) n += await ctl.imported(feederName(i));
      return n;
    },
    async stop() {
      ctl.close();
      await bird.stop();
    },
  };
}

async function frrReceiver(host: Host, feeders: readonly Feeder[]): Promise<Receiver> {
  // `bgp no-rib`: bgpd keeps the routes in its tables and hands none to zebra,
  // like the other receivers here (none installs them in a kernel table).
  const conf = frrBgpdConfig({
    as: RX_AS,
    routerId: RX_ADDRESS,
    neighbors: feeders.map((f) => ({
      address: f.address,
      remoteAs: f.asn,
      passive: true,
      families: ["ipv4"],
    })),
  }).replace("frr defaults traditional\n", "frr defaults traditional\nbgp no-rib\n");
  const frr: Frr = await startFrr(host, conf);
  const vty = await VtySocket.connect(join(frr.dir, "bgpd.vty"));
  return {
    pid: frr.bgpd.pid!,
    pollMs: 10,
    async held() {
      const j = JSON.parse(await vty.cmd("show bgp ipv4 unicast summary json")) as {
        peers?: Record<string, { pfxRcd?: number }>;
      };
      let n = 0;
      for (const p of Object.values(j.peers ?? {})) n += p.pfxRcd ?? 0;
      return n;
    },
    async stop() {
      vty.close();
      await frr.stop();
    },
  };
}

async function gobgpReceiver(host: Host, feeders: readonly Feeder[]): Promise<Receiver> {
  const g: Gobgp = await startGobgp(host, {
    as: RX_AS,
    routerId: RX_ADDRESS,
    neighbors: feeders.map((f) => ({
      address: f.address,
      peerAs: f.asn,
      passive: true,
      families: ["ipv4-unicast"],
    })),
  });
  return {
    pid: g.pid!,
    // Every query is a CLI process and a gRPC call into gobgpd, which slows
    // it down when frequent (REAL-PEERS.md): ask ten times a second only.
    pollMs: 100,
    async held() {
      const m = /Path:\s*(\d+)/.exec(await g.cli(["global", "rib", "summary", "-a", "ipv4"]));
      return m ? Number(m[1]) : 0;
    },
    stop: () => g.stop(),
  };
}

/**
 * The Tortie library's Speaker in a child process (tortie-node.ts), polled
 * over IPC; `nodeFlags` are the child's node options.
 */
export async function tortieLibrary(
  host: Host,
  entry: string,
  config: Record<string, unknown>,
  originate?: number,
  nodeFlags: readonly string[] = [],
): Promise<Receiver> {
  const child: ChildProcess = fork(entry, [], {
    // BENCH_NODE_FLAGS: more node/V8 flags for the child (experiments only; the tables use none).
    execArgv: [
      ...nodeFlags,
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: ((m: { op: string; n?: number; message?: string }) => void)[] = [];
  child.on("message", (m: { op: string; n?: number; message?: string }) => {
    if (m.op === "error") console.error(`tortie child: ${m.message}`);
    replies.shift()?.(m);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const ask = (m: object) =>
    new Promise<{ op: string; n?: number; message?: string }>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error("tortie child exited"));
      replies.push(resolve);
      child.send(m);
    });
  const ready = await ask({
    op: "start",
    config: { ...config, netns: host.nsPath },
    ...(originate ? { originate } : {}),
  });
  if (ready.op !== "ready") {
    child.kill("SIGKILL");
    throw new Error(`tortie child did not start: ${ready.message}`);
  }
  return {
    pid: child.pid!,
    pollMs: 10,
    async held() {
      return (await ask({ op: "count" })).n ?? 0;
    },
    async stop() {
      if (child.exitCode === null) {
        child.send({ op: "stop" });
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** A running `tortie-bgp` daemon. */
export interface TortieDaemon {
  readonly pid: number;
  /** The path of its control socket. */
  readonly socket: string;
  /** Sends one control request (a JSON line); returns the parsed answer. */
  control(request: object): Promise<Record<string, unknown>>;
  /** Bytes the daemon wrote to stdout so far. */
  logBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts the `tortie-bgp` daemon (bundled src/cli/tortie-bgp.ts) with
 * `config` (written as a JSON file; `netns` set to `host`), default log
 * level, stdout to a file, and waits until its control socket answers.
 */
export async function startTortieDaemon(
  host: Host,
  entry: string,
  config: Record<string, unknown>,
): Promise<TortieDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "tortie-bench-daemon-"));
  const file = join(dir, "bgp.json");
  const socket = join(dir, "control.sock");
  const log = join(dir, "stdout.jsonl");
  writeFileSync(file, JSON.stringify({ ...config, netns: host.nsPath }));
  const out = openSync(log, "w");
  // BENCH_DAEMON_CPU_PROF=<dir>: a CPU profile of the daemon's whole life is
  // written there when it exits (`node --cpu-prof`; SIGTERM ends it cleanly).
  // BENCH_DAEMON_NODE_FLAGS="--flag …": node flags for trying settings (kept
  // across the daemon's re-execution; `--trace-gc` prints to its log file).
  const prof = process.env.BENCH_DAEMON_CPU_PROF;
  const node = [
    ...(prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : []),
    ...(process.env.BENCH_DAEMON_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
  ];
  const child = spawn(process.execPath, [...node, entry, "--config", file, "--socket", socket], {
    stdio: ["ignore", out, "inherit"],
  });
  closeSync(out);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const control = async (request: object) =>
    JSON.parse(await controlRequest(socket, JSON.stringify(request))) as Record<string, unknown>;
  await waitFor(
    async () => {
      if (child.exitCode !== null)
        throw Object.assign(new Error("tortie-bgp exited"), { fatal: true });
      return (await control({ cmd: "status" })).peers;
    },
    { what: "tortie-bgp control socket", timeoutMs: 120_000, intervalMs: 50 },
  );
  return {
    pid: child.pid!,
    socket,
    control,
    logBytes: () => statSync(log).size,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        // (a profiled daemon takes longer to stop: its profile is written on exit)
        const t = setTimeout(() => child.kill("SIGKILL"), prof ? 60_000 : 5000);
        await exited;
        clearTimeout(t);
      }
      if (process.env.BENCH_DAEMON_KEEP_LOG) copyFileSync(log, process.env.BENCH_DAEMON_KEEP_LOG);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The `tortie-bgp` daemon as a receiver, polled through its control
 * socket's `status` on one kept-open connection — as the library is asked
 * over its kept-open IPC channel and BIRD and FRR over their kept-open
 * control sockets (a connection per poll cost the daemon an accept and a
 * socket every 10 ms that the library was not charged).
 */
async function tortieDaemon(
  host: Host,
  entry: string,
  peers: readonly Record<string, unknown>[],
): Promise<Receiver> {
  const d = await startTortieDaemon(host, entry, { asn: RX_AS, routerId: RX_ADDRESS, peers });
  let ctl: ControlConnection;
  try {
    ctl = await ControlConnection.connect(d.socket);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return {
    pid: d.pid,
    pollMs: 10,
    async held() {
      const s = JSON.parse(await ctl.ask('{"cmd":"status"}')) as {
        peers?: { prefixes?: { received?: number } }[];
      };
      let n = 0;
      for (const p of s.peers ?? []) n += p.prefixes?.received ?? 0;
      return n;
    },
    logBytes: () => d.logBytes(),
    async stop() {
      ctl.close();
      await d.stop();
    },
  };
}

/** One kept-open connection to a tortie-bgp control socket: a request line, its answer line. */
class ControlConnection {
  private buf = "";
  private readonly waiting: ((line: string) => void)[] = [];
  private failed: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    sock.on("error", (e) => {
      this.failed = e;
    });
  }

  static async connect(path: string): Promise<ControlConnection> {
    const sock = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    return new ControlConnection(sock);
  }

  /** Sends one request line; the answer line (requests are answered in order). */
  ask(line: string): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.sock.write(`${line}\n`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** `p`, or a rejection when it has not settled within `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** One request line on a tortie-bgp control socket; the answer line. */
function controlRequest(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = "";
    c.setEncoding("utf8");
    c.on("connect", () => c.write(`${line}\n`));
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        c.destroy();
        resolve(buf.slice(0, nl));
      }
    });
    c.on("error", reject);
  });
}
