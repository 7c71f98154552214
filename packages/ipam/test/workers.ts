// Spawns node-worker.ts processes and parses what they print.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const WORKER = fileURLToPath(new URL("./node-worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** What one worker reported. */
export interface WorkerLog {
  readonly node: string;
  readonly assigned: { handle: string; ip: string; block: string; seq: number }[];
  readonly released: Set<string>;
  /** Releases announced (may or may not have committed if the process was killed). */
  readonly releasing: Set<string>;
  /** Stale releases that freed something (must stay empty): "ip handle". */
  readonly staleFrees: string[];
  /** Outcomes of stale releases: conflict / unallocated. */
  readonly staleOutcomes: { conflict: number; unallocated: number };
  /** Blocks deleted by the worker's affinity releases. */
  deletedBlocks: number;
  latencies: number[];
  /** Loop start and end (epoch ms). */
  window: [number, number];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stderr: string;
}

/** A running worker. */
export interface Worker {
  readonly log: WorkerLog;
  readonly child: ChildProcess;
  readonly done: Promise<WorkerLog>;
}

/** Starts one simulated node process. */
export function startWorker(args: {
  backend: "etcd" | "sqlite";
  endpoint: string;
  root: string;
  node: string;
  count: number;
  releaseEvery: number;
  num4?: number;
  num6?: number;
  startAt?: number;
  mode?: "ipam" | "raw-cas" | "recycle";
}): Worker {
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      WORKER,
      JSON.stringify({ num4: 0, num6: 0, ...args }),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: WorkerLog = {
    node: args.node,
    assigned: [],
    released: new Set(),
    releasing: new Set(),
    staleFrees: [],
    staleOutcomes: { conflict: 0, unallocated: 0 },
    deletedBlocks: 0,
    latencies: [],
    window: [0, 0],
    exit: undefined,
    stderr: "",
  };
  let buf = "";
  child.stdout!.on("data", (b: Buffer) => {
    buf += b.toString();
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const [t, ...rest] = line.split(" ");
      if (t === "A") {
        log.assigned.push({
          handle: rest[0]!,
          ip: rest[1]!,
          block: rest[2]!,
          seq: Number(rest[3]),
        });
      } else if (t === "R") log.released.add(rest[0]!);
      else if (t === "r") log.releasing.add(rest[0]!);
      else if (t === "X") log.staleFrees.push(rest.join(" "));
      else if (t === "S") log.staleOutcomes[rest[0] as "conflict" | "unallocated"]++;
      else if (t === "B") log.deletedBlocks += Number(rest[0]);
      else if (t === "D") {
        const d = JSON.parse(rest.join(" ")) as { lat: number[]; t0: number; t1: number };
        log.latencies = d.lat;
        log.window = [d.t0, d.t1];
      }
      nl = buf.indexOf("\n");
    }
  });
  child.stderr!.on("data", (b: Buffer) => {
    log.stderr += b.toString();
  });
  const done = new Promise<WorkerLog>((resolve) => {
    child.on("exit", (code, signal) => {
      log.exit = { code, signal };
      resolve(log);
    });
  });
  return { log, child, done };
}

/** Handles a finished worker still holds (assigned and not released). */
export function heldHandles(log: WorkerLog): Set<string> {
  return new Set(log.assigned.map((a) => a.handle).filter((h) => !log.released.has(h)));
}
