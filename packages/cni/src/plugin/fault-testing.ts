// Test support (not exported): the fault suite, shared by the integration
// test (a CI-sized run) and bench/fault.ts (the full 1,000 lifecycles).
//
// Pod lifecycles (ADD, then DEL as a runtime retries it until it succeeds)
// on several workers at once, through the installed shim in a node
// namespace, with Tortie IPAM on SQLite, while
//   - the resident helper is SIGKILLed every few seconds,
//   - some ADD invocations are SIGKILLed part-way (a runtime's timeout),
//   - some lifecycles race a DEL 0–20 ms behind their ADD's invocation.
// It checks, as it goes and at the end: no address is ever held by two live
// pods; every failure a plugin reports is a CNI error (JSON with a code on
// stdout, exit 1); when an ADD and its racing DEL both succeed nothing of
// the attachment remains; after the retry DELs nothing leaks (links,
// addresses, handles, records).

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "@tortie/testbed";
import { helperPid } from "./helper.js";
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
  /** Share of ADDs killed part-way (default 0.15). */
  readonly killAddShare?: number;
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
  addKilled: number;
  raceBothOk: number;
  delAttempts: number;
  delRetries: number;
  helperKills: number;
  failureCodes: Record<string, number>;
  /** Broken promises: each a sentence. */
  violations: string[];
  leaks: { links: string[]; handles: string[]; records: string[]; podLinks: string[] };
  ms: number;
}

const NETWORK = "fault";
const NODE_NAME = "fault-node";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number) => a + Math.random() * (b - a);

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
    raceBothOk: 0,
    delAttempts: 0,
    delRetries: 0,
    helperKills: 0,
    failureCodes: {},
    violations: [],
    leaks: { links: [], handles: [], records: [], podLinks: [] },
    ms: 0,
  };
  const live = new Map<string, string>(); // address → container id
  const env = (cmd: string, id: string, pod: Host) => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: id,
    CNI_NETNS: pod.nsPath,
    CNI_IFNAME: "eth0",
    CNI_PATH: `${o.binDir}:/usr/lib/cni`,
    TORTIE_CNI_RUN_DIR: o.runDir,
  });
  const shim = (cmd: string, id: string, pod: Host, killAfterMs?: number, onInvoked?: () => void) =>
    runShim(o.node.netns, o.binDir, env(cmd, id, pod), conf, {
      ...(killAfterMs === undefined ? {} : { killAfterMs }),
      ...(onInvoked ? { onInvoked } : {}),
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
  /** Nothing of `id` remains: no handle, no record, no interface in its pod. */
  const gone = async (id: string, pod: Host, why: string) => {
    const held = await ipam.ipsByHandle(handleId(NETWORK, NODE_NAME, id, "eth0"));
    if (held.length) rep.violations.push(`${why}: ${id} still holds ${held.join(",")}`);
    if (existsSync(join(o.work, "state", NETWORK, `${id}_eth0.json`)))
      rep.violations.push(`${why}: ${id} still has a record`);
    const links = await pod.ipJson<{ ifname: string }[]>(["link", "show"]);
    if (links.some((l) => l.ifname === "eth0")) rep.violations.push(`${why}: ${id}'s pod has eth0`);
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

  let next = 0;
  const worker = async (w: number) => {
    const pod = o.pods[w]!;
    let n = 0;
    while (next < o.lifecycles) {
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
    await Promise.all(o.pods.map((_, w) => worker(w)));
  } finally {
    running = false;
    await killer;
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
  await store.close();
  rep.ms = performance.now() - t0;
  return rep;
}
