// One simulated node in its own process: allocates and releases addresses
// against a shared store and prints each step, for the multi-process tests
// and benchmarks. Run: node --conditions=source --import tsx node-worker.ts '<json>'
//   A <handle> <ip> <block> <seq>   an assignment that committed
//   R <handle>                      a release that committed
//   D <json>                        done: latency samples (ms)
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
for (let i = 0; i < count; i++) {
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
    await ipam.releaseByHandle(victim);
    out += `R ${victim}\n`;
  }
  if (out.length > 4096 || count === Number.POSITIVE_INFINITY) flush();
}
out += `D ${JSON.stringify(lat)}\n`;
flush();
await store.close();
