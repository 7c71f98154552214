// One simulated node in its own process: allocates and releases addresses
// against a shared store and prints each step, for the multi-process tests
// and benchmarks. Run: node --conditions=source --import tsx node-worker.ts '<json>'
//   A <handle> <ip> <block> <seq>   an assignment that committed
//   r <handle>                      a release about to start (endless mode)
//   R <handle>                      a release that committed
//   D <json>                        done: {lat: latency samples (ms), t0, t1: loop start/end (epoch ms)}
//   S conflict|unallocated          (recycle) the outcome of a stale release
//   X <ip> <handle>                 (recycle) a stale release that freed something: a violation
//   B <n>                           (recycle) empty blocks deleted by releasing the node's affinities
// With `startAt` (epoch ms) the loop waits for that moment, so that several
// workers start together; mode "raw-cas" runs a plain single-key
// compare-and-swap loop instead (the benchmark's baseline); mode "recycle"
// keeps two addresses at a time, releases the oldest with its guards,
// repeats earlier releases on stale information, and gives up its empty
// blocks every few steps so that blocks are deleted and claimed again by
// other nodes while stale releases are in flight.
import { type Datastore, EtcdStore, SqliteStore } from "@tortie/datastore";
import { Ipam, ReleaseConflictError, type ReleaseSpec } from "@tortie/ipam";

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
  mode?: "ipam" | "raw-cas" | "recycle";
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
if (args.mode === "recycle") {
  const mine: { handle: string; ip: string; seq: number }[] = [];
  const gone: { handle: string; ip: string; seq: number }[] = [];
  for (let i = 0; i < count; i++) {
    const handleId = `${args.node}.${i}`;
    const r = await ipam.autoAssign({
      handleId,
      hostname: args.node,
      num4: 1,
      allOrNothing: false,
    });
    for (const a of r.ipv4) {
      out += `A ${handleId} ${a.ip} ${a.block} ${a.sequenceNumber}\n`;
      mine.push({ handle: handleId, ip: a.ip, seq: a.sequenceNumber });
    }
    if (mine.length > 2 || (r.ipv4.length === 0 && mine.length > 0)) {
      const h = mine.shift()!;
      const done = await ipam.releaseIps([{ ip: h.ip, handleId: h.handle, sequenceNumber: h.seq }]);
      if (done.released.length !== 1) throw new Error(`own release of ${h.ip} freed nothing`);
      out += `R ${h.handle}\n`;
      gone.push(h);
    }
    if (i % 2 === 1 && gone.length > 0) {
      const g = gone[Math.floor(Math.random() * gone.length)]!;
      const pick = i % 3;
      const spec: ReleaseSpec =
        pick === 0
          ? { ip: g.ip, sequenceNumber: g.seq }
          : pick === 1
            ? { ip: g.ip, handleId: g.handle, sequenceNumber: g.seq }
            : { ip: g.ip, handleId: g.handle };
      try {
        const s = await ipam.releaseIps([spec]);
        if (s.released.length > 0) out += `X ${g.ip} ${g.handle}\n`;
        else out += "S unallocated\n";
      } catch (e) {
        if (!(e instanceof ReleaseConflictError)) throw e;
        out += "S conflict\n";
      }
    }
    if (i % 5 === 4) {
      // Every few steps drain: release all we hold, then give up every empty
      // block of ours (Calico ReleaseBlockAffinity, mustBeEmpty), so that the
      // blocks are deleted and claimed again, by us or another node.
      while (mine.length > 0) {
        const h = mine.shift()!;
        const done = await ipam.releaseIps([
          { ip: h.ip, handleId: h.handle, sequenceNumber: h.seq },
        ]);
        if (done.released.length !== 1) throw new Error(`own release of ${h.ip} freed nothing`);
        out += `R ${h.handle}\n`;
        gone.push(h);
      }
      let deleted = 0;
      for (const aff of await ipam.listAffinities(args.node)) {
        if (await ipam.releaseBlockAffinity(args.node, aff.value.cidr)) deleted++;
      }
      out += `B ${deleted}\n`;
    }
    if (out.length > 4096) flush();
  }
}
for (let i = 0; args.mode !== "raw-cas" && args.mode !== "recycle" && i < count; i++) {
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
