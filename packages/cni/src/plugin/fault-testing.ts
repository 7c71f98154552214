// Test support (not exported): the fault suite, shared by the integration
// test (a CI-sized run) and bench/fault.ts (the full 1,000 lifecycles).
//
// Pod lifecycles (ADD, then DEL as a runtime retries it until it succeeds)
// on several workers at once, through the installed shim in a node
// namespace, with Tortie IPAM on SQLite, while
//   - the resident helper is SIGKILLed every few seconds,
//   - some ADD invocations are SIGKILLed part-way (a runtime's timeout):
//     some at a random time (which may come after the ADD finished), and
//     some at a checkpoint, which always lands (see checkpointKill below),
//   - some lifecycles race a DEL 0–20 ms behind their ADD's invocation.
// It checks, as it goes and at the end: no address is ever held by two live
// pods; every failure a plugin reports is a CNI error (JSON with a code on
// stdout, exit 1); when an ADD and its racing DEL both succeed nothing of
// the attachment remains; after the retry DELs nothing leaks (links,
// addresses, handles, records, workload endpoints).

import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Host } from "@tortie/testbed";
import type BetterSqlite3 from "better-sqlite3";
import { CALICO_WORKLOAD_ENDPOINTS, calicoEndpointKey, calicoEndpointName } from "./endpoint.js";
import { helperPid } from "./helper.js";
import { FileAttachmentLocks } from "./locks.js";
import { hostVethName } from "./names.js";
import { cniErrorOf, runShim, type ShimRun } from "./shim-testing.js";
import { handleId } from "./tortie-ipam.js";

/** How hard to push. */
export interface FaultOptions {
  readonly node: Host;
  /** One pod namespace per worker. */
  readonly pods: readonly Host[];
  readonly binDir: string;
  readonly work: string;
  readonly runDir: string;
  readonly lifecycles: number;
  /** Every n-th lifecycle of a worker races a DEL against its ADD (default 5). */
  readonly raceEvery?: number;
  /** Share of ADDs killed part-way at a random time (default 0.15). */
  readonly killAddShare?: number;
  /**
   * Every n-th lifecycle of a worker, from its 2nd (2, 2 + n, …), kills its
   * ADD at the checkpoint instead (default 10; 0: never).
   */
  readonly checkpointEvery?: number;
  /** Helper SIGKILL interval, ms (default 2000–3500). */
  readonly killHelperMs?: readonly [number, number];
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What happened. */
export interface FaultReport {
  lifecycles: number;
  races: number;
  addOk: number;
  addFailed: number;
  /** ADDs that died of SIGKILL: the timed kills that landed, and the checkpoint kills. */
  addKilled: number;
  /** ADDs run to be killed at the checkpoint. */
  checkpoints: number;
  /** Of those, killed there (each also counts in addKilled); anything else is a violation. */
  addKilledAtCheckpoint: number;
  raceBothOk: number;
  delAttempts: number;
  delRetries: number;
  helperKills: number;
  failureCodes: Record<string, number>;
  /** Broken promises: each a sentence. */
  violations: string[];
  leaks: {
    links: string[];
    handles: string[];
    records: string[];
    podLinks: string[];
    endpoints: string[];
  };
  ms: number;
}

const NETWORK = "fault";
const NODE_NAME = "fault-node";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.random() * (b - a);
/** Polls `cond` every 2 ms; true once it holds, false after `ms`. */
const until = async (cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(2))
    if (await cond()) return true;
  return false;
};

/** The network configuration: Tortie IPAM on SQLite (pool applied by {@link runFaultSuite}). */
export function faultConfig(work: string): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: NETWORK,
    type: "tortie",
    nodename: NODE_NAME,
    dataDir: join(work, "state"),
    logFile: join(work, "fault.log"),
    datastore: { type: "sqlite", path: join(work, "store", "store.db") },
    ipam: { type: "tortie" },
  });
}

/** Runs the suite; resolves with the report (the caller asserts on it). */
export async function runFaultSuite(o: FaultOptions): Promise<FaultReport> {
  const t0 = performance.now();
  const { SqliteStore } = await import("@tortie/datastore");
  const { Ipam } = await import("@tortie/ipam");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(join(o.work, "store"), { recursive: true });
  const store = new SqliteStore({ path: join(o.work, "store", "store.db") });
  const ipam = new Ipam({ store });
  await ipam.applyPool({ name: "fault", cidr: "203.0.113.0/25", blockSize: 28 });
  const conf = faultConfig(o.work);
  const rep: FaultReport = {
    lifecycles: 0,
    races: 0,
    addOk: 0,
    addFailed: 0,
    addKilled: 0,
    checkpoints: 0,
    addKilledAtCheckpoint: 0,
    raceBothOk: 0,
    delAttempts: 0,
    delRetries: 0,
    helperKills: 0,
    failureCodes: {},
    violations: [],
    leaks: { links: [], handles: [], records: [], podLinks: [], endpoints: [] },
    ms: 0,
  };
  const live = new Map<string, string>(); // address → container id
  const env = (cmd: string, id: string, pod: Host): Record<string, string> => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: id,
    CNI_NETNS: pod.nsPath,
    CNI_IFNAME: "eth0",
    CNI_PATH: `${o.binDir}:/usr/lib/cni`,
    TORTIE_CNI_RUN_DIR: o.runDir,
  });
  const shim = (
    cmd: string,
    id: string,
    pod: Host,
    killAfterMs?: number,
    onInvoked?: () => void,
    extraEnv: Record<string, string> = {},
    onSpawn?: (child: ChildProcess) => void,
  ) =>
    runShim(o.node.netns, o.binDir, { ...env(cmd, id, pod), ...extraEnv }, conf, {
      ...(killAfterMs === undefined ? {} : { killAfterMs }),
      ...(onInvoked ? { onInvoked } : {}),
      ...(onSpawn ? { onSpawn } : {}),
    });
  /** Classifies a finished run: ok, killed, or a failure that must be a CNI error. */
  const judge = (what: string, r: ShimRun): "ok" | "killed" | "failed" => {
    if (r.signal) return "killed";
    if (r.code === 0) return "ok";
    const e = cniErrorOf(r);
    if (r.code !== 1 || !e) {
      rep.violations.push(`${what}: not a CNI error (exit ${r.code}): ${r.stdout.slice(0, 200)}`);
    } else {
      rep.failureCodes[e.code] = (rep.failureCodes[e.code] ?? 0) + 1;
    }
    return "failed";
  };
  const added = (id: string, r: ShimRun) => {
    rep.addOk++;
    const ips = (JSON.parse(r.stdout) as { ips: { address: string }[] }).ips.map((i) => i.address);
    for (const ip of ips) {
      const holder = live.get(ip);
      if (holder && holder !== id)
        rep.violations.push(`${ip} given to ${id} while ${holder} holds it`);
      live.set(ip, id);
    }
  };
  const forget = (id: string) => {
    for (const [ip, holder] of live) if (holder === id) live.delete(ip);
  };
  /** DEL as a runtime does: again until it succeeds. */
  const delUntilOk = async (id: string, pod: Host) => {
    for (let i = 0; i < 60; i++) {
      rep.delAttempts++;
      if (i > 0) rep.delRetries++;
      if (judge(`DEL ${id}`, await shim("DEL", id, pod)) === "ok") {
        forget(id);
        return;
      }
      await sleep(50);
    }
    rep.violations.push(`DEL ${id} never succeeded`);
  };
  const recordOf = (id: string) => join(o.work, "state", NETWORK, `${id}_eth0.json`);
  const recordPhase = (id: string): string => {
    try {
      return String((JSON.parse(readFileSync(recordOf(id), "utf8")) as { phase?: unknown }).phase);
    } catch {
      return "missing";
    }
  };
  const endpointOf = (id: string) =>
    calicoEndpointKey(
      undefined,
      calicoEndpointName({
        node: NODE_NAME,
        network: NETWORK,
        containerId: id,
        ifname: "eth0",
        hostInterface: "",
        mac: "",
        ipNetworks: [],
        labels: {},
      }),
    );
  /** Nothing of `id` remains: no handle, no record, no endpoint, no interface in its pod. */
  const gone = async (id: string, pod: Host, why: string) => {
    const held = await ipam.ipsByHandle(handleId(NETWORK, NODE_NAME, id, "eth0"));
    if (held.length) rep.violations.push(`${why}: ${id} still holds ${held.join(",")}`);
    if (existsSync(recordOf(id))) rep.violations.push(`${why}: ${id} still has a record`);
    if (await store.get(endpointOf(id)))
      rep.violations.push(`${why}: ${id} still has a workload endpoint`);
    const links = await pod.ipJson<{ ifname: string }[]>(["link", "show"]);
    if (links.some((l) => l.ifname === "eth0")) rep.violations.push(`${why}: ${id}'s pod has eth0`);
  };

  // The checkpoint kill. A timed kill can come after the ADD has finished
  // (through the helper an ADD takes a few ms), so it proves nothing on a
  // fast run; this one is placed, with nothing added to the plugin: the ADD
  // runs in Node (TORTIE_CNI_HELPER=off — the process that dies is the one
  // doing the work, as when no helper answers) and the test holds it at two
  // points of its own environment:
  //   1. the datastore's write lock, taken while the ADD waits for the
  //      attachment's lock (which the test holds until then): let in, the ADD
  //      writes its record ("adding", before it touches anything) and then
  //      cannot pass its first datastore write. Seeing the record, the test
  //   2. makes the path of the record's next write a FIFO (FileAttachmentStore
  //      writes <record>.<pid>.tmp and renames it; opening a FIFO for writing
  //      blocks while no one reads it) and releases the store's lock.
  // The ADD then does everything else — IPAM allocation, veth pair,
  // addresses, routes, workload endpoint — and waits at its last step,
  // marking the record "added". Once all of that is seen from outside (the
  // allocation and the endpoint in the store, the host end in the node
  // namespace, the address on the pod's eth0), it is SIGKILLed: a crash that
  // leaves everything, with the record still "adding". Every step is
  // checked; an ADD that ends any other way is a violation, not a quiet miss.
  const attachmentLocks = new FileAttachmentLocks(join(o.work, "state"));
  const opFile = (id: string) => `/.locks/${NETWORK}/${id}_eth0.op`;
  const Sqlite = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  // the store's own busy timeout: a writer waits that long for the lock
  const lockDb = new Sqlite(join(o.work, "store", "store.db"), { timeout: 10_000 });
  let lockQueue: Promise<unknown> = Promise.resolve();
  /** Runs `f` holding the store's write lock (one holder at a time). */
  const withStoreLocked = <T>(f: () => Promise<T>): Promise<T> => {
    const run = lockQueue.then(async () => {
      lockDb.exec("BEGIN IMMEDIATE");
      try {
        return await f();
      } finally {
        lockDb.exec("ROLLBACK");
      }
    });
    lockQueue = run.catch(() => undefined);
    return run;
  };
  const checkpointKill = async (id: string, pod: Host): Promise<ShimRun> => {
    const bad = (what: string) => rep.violations.push(`checkpoint ADD ${id}: ${what}`);
    let child: ChildProcess | undefined;
    let ended = false;
    let fifo: string | undefined;
    let held = false;
    // The store's lock is wanted only from the record on, not through Node's
    // start-up (it stalls every worker's writes): until then the test holds
    // the attachment's own lock, as another call of the plugin would.
    const attachment = await attachmentLocks.lock(NETWORK, id, "eth0", "other");
    const run = shim("ADD", id, pod, undefined, undefined, { TORTIE_CNI_HELPER: "off" }, (c) => {
      child = c;
    });
    void run.then(() => {
      ended = true;
    });
    try {
      const pid = child?.pid;
      // the ADD waits for the attachment's lock: it has the lock file open
      const queued = () => {
        try {
          return readdirSync(`/proc/${pid}/fd`).some((fd) => {
            try {
              return readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(opFile(id));
            } catch {
              return false; // closed meanwhile
            }
          });
        } catch {
          return false; // gone
        }
      };
      if (!(await until(() => ended || queued(), 20_000)) || ended) {
        bad(ended ? "ended before it waited for the attachment's lock" : "no lock wait after 20 s");
      } else {
        // under the store's lock for at most 8 s: other writers wait up to 10 s (its busy timeout)
        held = await withStoreLocked(async () => {
          attachment.release();
          if (!(await until(() => ended || existsSync(recordOf(id)), 8000)) || ended) {
            bad(ended ? "ended before it wrote its record" : "no record after 8 s");
            return false;
          }
          const cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1");
          if (!cmd.includes("tortie.mjs")) {
            bad(`its pid ${pid} is not the plugin in Node (${cmd.replaceAll("\0", " ")})`);
            return false;
          }
          fifo = `${recordOf(id)}.${pid}.tmp`;
          execFileSync("mkfifo", [fifo]);
          return true;
        });
      }
      if (held) await checkpoint(id, pod, () => ended, bad);
    } finally {
      attachment.release();
      // at the checkpoint; at once when it was not reached (or something threw)
      child?.kill("SIGKILL");
      await run;
      if (fifo) rmSync(fifo, { force: true });
    }
    const r = await run;
    if (!r.signal) bad(`ended by itself (exit ${r.code}): ${r.stdout.slice(0, 200)}`);
    return r;
  };
  /** Waits until everything the held ADD makes is seen from outside (and it is still held). */
  const checkpoint = async (
    id: string,
    pod: Host,
    ended: () => boolean,
    bad: (what: string) => void,
  ): Promise<void> => {
    const hostEnd = hostVethName(id);
    const handle = handleId(NETWORK, NODE_NAME, id, "eth0");
    /** Everything the ADD makes is there (cheapest first; the endpoint is written last). */
    const made = async (): Promise<boolean> => {
      if (!(await store.get(endpointOf(id)))) return false;
      const ips = await ipam.ipsByHandle(handle);
      if (!ips.length) return false;
      const hostLinks = await o.node.ipJson<{ ifname: string }[]>(["link", "show"]);
      if (!hostLinks.some((l) => l.ifname === hostEnd)) return false;
      const podIf = await pod.ipJson<{ addr_info: { local: string }[] }[]>(
        ["addr", "show", "dev", "eth0"], // fails while there is no eth0
      );
      return podIf.some((l) => l.addr_info.some((x) => ips.includes(x.local)));
    };
    if (!(await until(async () => ended() || (await made().catch(() => false)), 20_000)) || ended())
      bad(ended() ? "ended before its checkpoint" : "not at its checkpoint after 20 s");
    else if (recordPhase(id) !== "adding")
      bad(`its record is ${recordPhase(id)} at the checkpoint, not "adding"`);
  };

  let running = true;
  const killer = (async () => {
    while (running) {
      // The first kill comes as soon as a helper exists (a fast machine can
      // finish a CI-sized run before the first random interval ends); after
      // that, kills are spaced by the random interval.
      await sleep(
        rep.helperKills === 0
          ? 100
          : rand(o.killHelperMs?.[0] ?? 2000, o.killHelperMs?.[1] ?? 3500),
      );
      if (!running) break;
      for (const d of existsSync(o.runDir) ? readdirSync(o.runDir) : []) {
        try {
          const pid = helperPid(o.runDir, d);
          const ns = (await o.node.exec(["stat", "-L", "-c", "%i", "/proc/self/ns/net"])).stdout;
          if (d === `net-${ns.trim()}` && pid !== undefined) {
            process.kill(pid, "SIGKILL");
            rep.helperKills++;
          }
        } catch {
          // no helper right now
        }
      }
    }
  })();

  const checkpointEvery = o.checkpointEvery ?? 10;
  let next = 0;
  // a worker that throws stops the others, and all have stopped before the
  // caller cleans up (else one could start a helper in a folder being removed)
  let halted = false;
  const worker = async (w: number) => {
    const pod = o.pods[w]!;
    let n = 0;
    while (next < o.lifecycles && !halted) {
      const i = next++;
      n++;
      const id = `f${w}-${i}`;
      if (n % (o.raceEvery ?? 5) === 0) {
        // the runtime's DEL 0–20 ms behind its ADD — behind its invocation,
        // that is: spawned together, the DEL's process could take its start
        // time first, and "DEL wins" rightly goes by those times
        rep.races++;
        let invoked!: () => void;
        const addInvoked = new Promise<void>((r) => {
          invoked = r;
        });
        const addP = shim("ADD", id, pod, undefined, invoked);
        await addInvoked;
        await sleep(rand(0, 20));
        const [a, d] = await Promise.all([addP, shim("DEL", id, pod)]);
        const ja = judge(`race ADD ${id}`, a);
        const jd = judge(`race DEL ${id}`, d);
        if (ja === "ok") added(id, a);
        else if (ja === "failed") rep.addFailed++;
        if (jd === "ok") {
          forget(id);
          if (ja === "ok") rep.raceBothOk++;
          // the runtime believes the attachment gone: it must be
          await gone(id, pod, "ADD and DEL both succeeded");
        } else {
          await delUntilOk(id, pod);
        }
      } else if (checkpointEvery > 0 && n % checkpointEvery === 2 % checkpointEvery) {
        rep.checkpoints++;
        const a = await checkpointKill(id, pod);
        const ja = judge(`checkpoint ADD ${id}`, a);
        if (ja === "killed") {
          rep.addKilled++;
          rep.addKilledAtCheckpoint++;
        } else if (ja === "ok") added(id, a);
        else rep.addFailed++;
        await delUntilOk(id, pod);
      } else {
        const kill = Math.random() < (o.killAddShare ?? 0.15);
        const a = await shim("ADD", id, pod, kill ? rand(5, 80) : undefined);
        const ja = judge(`ADD ${id}`, a);
        if (ja === "ok") added(id, a);
        else if (ja === "killed") rep.addKilled++;
        else rep.addFailed++;
        await delUntilOk(id, pod);
      }
      await gone(id, pod, "after the runtime's DELs");
      rep.lifecycles++;
      if (rep.lifecycles % 100 === 0)
        o.log?.(`${rep.lifecycles} lifecycles, ${rep.helperKills} helper kills`);
    }
  };
  try {
    const ends = await Promise.allSettled(
      o.pods.map((_, w) =>
        worker(w).catch((e: unknown) => {
          halted = true;
          throw e;
        }),
      ),
    );
    for (const e of ends) if (e.status === "rejected") throw e.reason;
  } finally {
    running = false;
    await killer;
    await lockQueue;
    lockDb.close();
  }
  // what a node would have left: links, handles, records, pods' interfaces
  rep.leaks.links = (await o.node.ipJson<{ ifname: string }[]>(["link", "show"]))
    .map((l) => l.ifname)
    .filter((n) => n.startsWith("cali"));
  rep.leaks.handles = (await ipam.listHandles())
    .map((h) => h.value.handleId)
    .filter((h) => h.startsWith(`tortie:${NETWORK}:`));
  const recDir = join(o.work, "state", NETWORK);
  rep.leaks.records = existsSync(recDir)
    ? readdirSync(recDir).filter((f) => f.endsWith(".json"))
    : [];
  for (const p of o.pods) {
    const links = await p.ipJson<{ ifname: string }[]>(["link", "show"]);
    if (links.some((l) => l.ifname === "eth0")) rep.leaks.podLinks.push(p.name);
  }
  rep.leaks.endpoints = (await store.list(CALICO_WORKLOAD_ENDPOINTS, { keysOnly: true })).kvs.map(
    (kv) => kv.key,
  );
  await store.close();
  rep.ms = performance.now() - t0;
  return rep;
}
