// IPAM benchmarks: Tortie's allocator on memory, SQLite and etcd, 1 and 8
// nodes, next to a raw single-key compare-and-swap loop on the same store in
// the same run; etcd round trips per allocation; a 100-node block-claim storm.
//
//   npm run bench -w @tortie/ipam            (full: 8 nodes × 2,500 = 20,000 allocations)
//   BENCH_SCALE=0.1 npm run bench -w @tortie/ipam   (quick)
//
// Needs etcd (Debian etcd-server) for the etcd rows; prints medians and ratios.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Datastore, EtcdStore, MemoryStore, SqliteStore } from "@tortie/datastore";
import { startEtcd } from "@tortie/testbed";
import { check, Ipam } from "../src/index.js";
import { countingStore } from "../test/counting-store.js";
import { startWorker } from "../test/workers.js";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const N1 = Math.max(50, Math.round(1000 * SCALE)); // allocations per single-node run
const RUNS = 3;
const NODES = 8;
const TOTAL8 = Math.max(NODES * 20, Math.round(20_000 * SCALE));
const STORM = 100;
const POOL = { name: "bench", cidr: "198.18.0.0/15" };
/**
 * The 8-node rows put 2,500 addresses (40 blocks of 64) on each node, more
 * than Calico's default limit of 20 blocks per host: raise the limit, which
 * Calico accepts only together with strictAffinity (nothing here borrows).
 */
async function prepare(
  ipam: Ipam,
  pool: { name: string; cidr: string; blockSize?: number } = POOL,
) {
  await ipam.applyPool(pool);
  await ipam.setIpamConfiguration({ strictAffinity: true, maxBlocksPerHost: 1000 });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const median = (xs: number[]) => pct(xs, 50);
const f = (n: number, d = 0) => n.toFixed(d);
let runId = 0;
const root = () => `/bench/${process.pid}-${runId++}/`;

interface Row {
  what: string;
  store: string;
  rate: number;
  p50: number;
  p99: number;
  extra?: string;
}
const rows: Row[] = [];
const print = (r: Row) => {
  rows.push(r);
  console.log(
    `${r.what.padEnd(34)} ${r.store.padEnd(7)} ${f(r.rate).padStart(7)}/s  p50 ${f(r.p50, 2).padStart(6)} ms  p99 ${f(r.p99, 2).padStart(6)} ms  ${r.extra ?? ""}`,
  );
};

/** One node allocating N addresses in sequence; returns rate, latencies and round trips per allocation. */
async function oneNode(open: () => Datastore) {
  const rates: number[] = [];
  const lat: number[] = [];
  const rts: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = countingStore(open());
    const ipam = new Ipam({ store, root: root() });
    await prepare(ipam);
    await ipam.autoAssign({ handleId: "warm", hostname: "n1", num4: 1 });
    store.reset();
    const t0 = performance.now();
    for (let i = 0; i < N1; i++) {
      const t = performance.now();
      await ipam.autoAssign({ handleId: `h${i}`, hostname: "n1", num4: 1 });
      lat.push(performance.now() - t);
    }
    rates.push(N1 / ((performance.now() - t0) / 1000));
    rts.push(store.calls / N1);
    await store.close();
  }
  return { rate: median(rates), lat, rt: median(rts) };
}

/** A raw compare-and-swap loop on one key (the store's own ceiling for one client). */
async function rawCas(open: () => Datastore) {
  const rates: number[] = [];
  const lat: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = open();
    const key = `${root()}raw`;
    let rev = (await store.txn({ compare: [], ops: [{ type: "put", key, value: "0" }] })).revision;
    const t0 = performance.now();
    for (let i = 0; i < N1; i++) {
      const t = performance.now();
      const r = await store.txn({
        compare: [{ key, modRevision: rev }],
        ops: [{ type: "put", key, value: String(i) }],
      });
      rev = r.revision;
      lat.push(performance.now() - t);
    }
    rates.push(N1 / ((performance.now() - t0) / 1000));
    await store.close();
  }
  return { rate: median(rates), lat };
}

/**
 * The CNI reference IPAM plugin, host-local (file per address, one exec per
 * allocation, as a container runtime calls it): the real tool next to which
 * the embedded store is read.
 */
async function hostLocal(dir: string, n: number) {
  const conf = join(dir, "host-local.json");
  writeFileSync(
    conf,
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "bench",
      type: "host-local",
      ipam: {
        type: "host-local",
        dataDir: join(dir, "host-local"),
        ranges: [[{ subnet: "198.18.0.0/15" }]],
      },
    }),
  );
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = spawn("/usr/lib/cni/host-local", [], {
        env: {
          CNI_COMMAND: "ADD",
          CNI_CONTAINERID: `c${i}`,
          CNI_NETNS: "/dev/null",
          CNI_IFNAME: "eth0",
          CNI_PATH: "/usr/lib/cni",
        },
        stdio: ["pipe", "ignore", "inherit"],
      });
      c.stdin.end(
        JSON.stringify({
          cniVersion: "1.0.0",
          name: "bench",
          ipam: {
            type: "host-local",
            dataDir: join(dir, "host-local"),
            ranges: [[{ subnet: "198.18.0.0/15" }]],
          },
        }),
      );
      c.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`host-local exited ${code}`)),
      );
    });
    lat.push(performance.now() - t);
  }
  return { rate: n / ((performance.now() - t0) / 1000), lat };
}

/** Eight nodes in one process on one memory store. */
async function eightInProcess(store: Datastore) {
  const r = root();
  const admin = new Ipam({ store, root: r });
  await prepare(admin);
  const per = TOTAL8 / NODES;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: NODES }, async (_, n) => {
      const ipam = new Ipam({ store, root: r });
      for (let i = 0; i < per; i++) {
        const t = performance.now();
        await ipam.autoAssign({ handleId: `n${n}.${i}`, hostname: `n${n}`, num4: 1 });
        lat.push(performance.now() - t);
      }
    }),
  );
  return { rate: TOTAL8 / ((performance.now() - t0) / 1000), lat };
}

/** Eight worker processes started together. */
async function eightProcesses(
  backend: "etcd" | "sqlite",
  endpoint: string,
  mode: "ipam" | "raw-cas",
) {
  const r = root();
  if (mode === "ipam") {
    const store =
      backend === "etcd"
        ? new EtcdStore({ hosts: [endpoint] })
        : new SqliteStore({ path: endpoint });
    await prepare(new Ipam({ store, root: r }));
    await store.close();
  }
  const startAt = Date.now() + 4000; // every process is up by then
  const ws = Array.from({ length: NODES }, (_, n) =>
    startWorker({
      backend,
      endpoint,
      root: r,
      node: `node${n}`,
      count: TOTAL8 / NODES,
      releaseEvery: 0,
      num4: 1,
      startAt,
      mode,
    }),
  );
  const logs = await Promise.all(ws.map((w) => w.done));
  for (const l of logs) if (l.exit?.code !== 0) throw new Error(`${l.node} failed: ${l.stderr}`);
  const t0 = Math.min(...logs.map((l) => l.window[0]));
  const t1 = Math.max(...logs.map((l) => l.window[1]));
  return { rate: TOTAL8 / ((t1 - t0) / 1000), lat: logs.flatMap((l) => l.latencies) };
}

/** 100 nodes claim their first block at once. */
async function storm(stores: Datastore[]) {
  const r = root();
  const admin = new Ipam({ store: stores[0]!, root: r });
  await prepare(admin, { ...POOL, blockSize: 26 });
  const counted = stores.map((s) => countingStore(s));
  const nodes = Array.from(
    { length: STORM },
    (_, i) => new Ipam({ store: counted[i % counted.length]!, root: r }),
  );
  const t0 = performance.now();
  const got = await Promise.all(
    nodes.map((ipam, i) => ipam.autoAssign({ handleId: `s${i}`, hostname: `node${i}`, num4: 1 })),
  );
  const ms = performance.now() - t0;
  const calls = counted.reduce((n, s) => n + s.calls, 0);
  // Verify: one confirmed block per node, all distinct, nothing pending, no borrowing.
  const affs = await admin.listAffinities();
  const confirmed = affs.filter((a) => a.value.state === "confirmed");
  const pending = affs.length - confirmed.length;
  const distinct = new Set(confirmed.map((a) => a.value.cidr)).size;
  const hosts = new Set(confirmed.map((a) => a.value.host)).size;
  const own = got.every((g, i) =>
    confirmed.some((a) => a.value.host === `node${i}` && a.value.cidr === g.ipv4[0]!.block),
  );
  const report = await check(admin, { isLive: () => true, now: 0 });
  const ok =
    distinct === STORM &&
    hosts === STORM &&
    pending === 0 &&
    own &&
    report.affinityProblems.length === 0;
  return {
    ms,
    calls,
    ok,
    detail: `blocks ${distinct}, hosts ${hosts}, pending ${pending}, own-block ${own}`,
  };
}

async function main() {
  console.log(
    `IPAM benchmark: ${N1} allocations × ${RUNS} runs per 1-node row; ${TOTAL8} over ${NODES} nodes; ${STORM}-node storm`,
  );
  console.log(
    `machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), "tortie-ipam-bench-"));
  const etcd = await startEtcd();
  const etcdOpen = () => new EtcdStore({ hosts: [etcd.endpoint] });
  let dbn = 0;
  const sqliteOpen = () => new SqliteStore({ path: join(dir, `s${dbn++}.db`) });
  const summary: Record<string, number | string | boolean> = {};
  try {
    // 1 node.
    for (const [name, open] of [
      ["memory", () => new MemoryStore()],
      ["sqlite", sqliteOpen],
      ["etcd", etcdOpen],
    ] as const) {
      const t = await oneNode(open);
      const raw = await rawCas(open);
      print({
        what: "allocate, 1 node",
        store: name,
        rate: t.rate,
        p50: median(t.lat),
        p99: pct(t.lat, 99),
        extra: `round trips/alloc ${f(t.rt, 2)}`,
      });
      print({
        what: "raw single-key CAS, 1 client",
        store: name,
        rate: raw.rate,
        p50: median(raw.lat),
        p99: pct(raw.lat, 99),
        extra: `ratio ${f(t.rate / raw.rate, 2)}`,
      });
      summary[`${name}.1node.rate`] = Math.round(t.rate);
      summary[`${name}.1node.ratioToRawCas`] = Number(f(t.rate / raw.rate, 2));
      summary[`${name}.roundTripsPerAlloc`] = Number(f(t.rt, 2));
    }
    if (existsSync("/usr/lib/cni/host-local")) {
      const hl = await hostLocal(dir, Math.min(N1, 300));
      print({
        what: "host-local exec per allocation",
        store: "files",
        rate: hl.rate,
        p50: median(hl.lat),
        p99: pct(hl.lat, 99),
        extra: "(CNI reference IPAM plugin)",
      });
      summary["hostLocal.rate"] = Math.round(hl.rate);
    }
    // 8 nodes.
    const mem8 = await eightInProcess(new MemoryStore());
    print({
      what: "allocate, 8 nodes (in-process)",
      store: "memory",
      rate: mem8.rate,
      p50: median(mem8.lat),
      p99: pct(mem8.lat, 99),
    });
    const sqlitePath = join(dir, "eight.db");
    const sq8 = await eightProcesses("sqlite", sqlitePath, "ipam");
    const sqRaw8 = await eightProcesses("sqlite", sqlitePath, "raw-cas");
    print({
      what: "allocate, 8 node processes",
      store: "sqlite",
      rate: sq8.rate,
      p50: median(sq8.lat),
      p99: pct(sq8.lat, 99),
    });
    print({
      what: "raw single-key CAS, 8 processes",
      store: "sqlite",
      rate: sqRaw8.rate,
      p50: median(sqRaw8.lat),
      p99: pct(sqRaw8.lat, 99),
      extra: `ratio ${f(sq8.rate / sqRaw8.rate, 2)}`,
    });
    const et8 = await eightProcesses("etcd", etcd.endpoint, "ipam");
    const etRaw8 = await eightProcesses("etcd", etcd.endpoint, "raw-cas");
    print({
      what: "allocate, 8 node processes",
      store: "etcd",
      rate: et8.rate,
      p50: median(et8.lat),
      p99: pct(et8.lat, 99),
    });
    print({
      what: "raw single-key CAS, 8 processes",
      store: "etcd",
      rate: etRaw8.rate,
      p50: median(etRaw8.lat),
      p99: pct(etRaw8.lat, 99),
      extra: `ratio ${f(et8.rate / etRaw8.rate, 2)}`,
    });
    summary["sqlite.8nodes.rate"] = Math.round(sq8.rate);
    summary["etcd.8nodes.rate"] = Math.round(et8.rate);
    summary["etcd.8nodes.ratioToRawCas"] = Number(f(et8.rate / etRaw8.rate, 2));
    // Storm.
    console.log("");
    for (const [name, stores] of [
      ["memory", [new MemoryStore()]],
      [
        "sqlite",
        (() => {
          const p = join(dir, "storm.db");
          return Array.from({ length: 8 }, () => new SqliteStore({ path: p }));
        })(),
      ],
      ["etcd", Array.from({ length: 8 }, etcdOpen)],
    ] as const) {
      const s = await storm([...stores]);
      console.log(
        `block-claim storm, ${STORM} nodes   ${name.padEnd(7)} all claimed in ${f(s.ms)} ms, ${s.calls} store calls (${f(s.calls / STORM, 1)}/node), ${s.ok ? "no conflicts left" : "CONFLICTS LEFT"} (${s.detail})`,
      );
      summary[`${name}.storm.ms`] = Math.round(s.ms);
      summary[`${name}.storm.ok`] = s.ok;
      for (const st of stores) await st.close();
    }
    console.log(`\nsummary ${JSON.stringify(summary)}`);
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
