// One simulated node in its own process: allocates and releases addresses
// against a shared store and prints each step, for the multi-process tests
// and benchmarks. Run: node --conditions=source --import tsx node-worker.ts '<json>'
//   A <handle> <ip> <block> <seq>   an assignment that committed
//   r <handle>                      a release about to start (endless mode)
//   R <handle>                      a release that committed
//   D <json>                        done: {lat: latency samples (ms), t0, t1: loop start/end (epoch ms)}
// With `startAt` (epoch ms) the loop waits for that moment, so that several
// workers start together; mode "raw-cas" runs a plain single-key
// compare-and-swap loop instead (the benchmark's baseline).
import { type Datastore, EtcdStore, SqliteStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";

interface Args {
  backend: "etcd" | "sqlite";
  endpoint: string;
  root: string;
  node: string;
  /** Assignments to make (Infinity: until killed). */
  count: number;
  /** Release one held handle after every this many assignments (0: never). */
  releaseEvery: number;
  num4: number;
  num6: number;
  startAt?: number;
  mode?: "ipam" | "raw-cas";
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const store: Datastore =
  args.backend === "etcd"
    ? new EtcdStore({ hosts: [args.endpoint] })
    : new SqliteStore({ path: args.endpoint });
const ipam = new Ipam({ store, root: args.root });
const held: string[] = [];
const lat: number[] = [];
let out = "";
const flush = () => {
  if (out) process.stdout.write(out);
  out = "";
};
const count = args.count < 0 ? Number.POSITIVE_INFINITY : args.count;
if (args.startAt) await new Promise((r) => setTimeout(r, Math.max(0, args.startAt! - Date.now())));
const t0 = Date.now();
if (args.mode === "raw-cas") {
  // One key per worker: read once, then compare-and-swap on the revision we wrote.
  const key = `${args.root}raw/${args.node}`;
  const first = await store.txn({ compare: [], ops: [{ type: "put", key, value: "0" }] });
  let rev = first.revision;
  for (let i = 1; i <= count; i++) {
    const t = performance.now();
    const r = await store.txn({
      compare: [{ key, modRevision: rev }],
      ops: [{ type: "put", key, value: String(i) }],
    });
    if (!r.succeeded) throw new Error("raw CAS lost its own key");
    rev = r.revision;
    lat.push(performance.now() - t);
  }
}
for (let i = 0; args.mode !== "raw-cas" && i < count; i++) {
  const handleId = `${args.node}.${i}`;
  const t0 = performance.now();
  const r = await ipam.autoAssign({
    handleId,
    hostname: args.node,
    num4: args.num4,
    num6: args.num6,
    attrs: { namespace: "default", pod: `pod-${i}` },
  });
  lat.push(performance.now() - t0);
  for (const a of [...r.ipv4, ...r.ipv6])
    out += `A ${handleId} ${a.ip} ${a.block} ${a.sequenceNumber}\n`;
  held.push(handleId);
  if (args.releaseEvery > 0 && i % args.releaseEvery === args.releaseEvery - 1) {
    const victim = held.splice(Math.floor(Math.random() * held.length), 1)[0]!;
    if (count === Number.POSITIVE_INFINITY) {
      // Until killed: say what is about to be released, so that a kill in
      // the middle leaves no doubt in the log.
      out += `r ${victim}\n`;
      flush();
    }
    await ipam.releaseByHandle(victim);
    out += `R ${victim}\n`;
  }
  if (out.length > 4096 || count === Number.POSITIVE_INFINITY) flush();
}
out += `D ${JSON.stringify({ lat, t0, t1: Date.now() })}\n`;
flush();
await store.close();
