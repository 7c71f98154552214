import { describe, expect, it } from "vitest";
import { type CniPlugin, skel } from "../skel/skel.js";
import { CniError } from "../spec/errors.js";
import type { TortieConfig } from "./config.js";
import type { Dataplane, Observed } from "./dataplane.js";
import type { EndpointSink, WorkloadEndpoint } from "./endpoint.js";
import type { PodIpam } from "./ipam.js";
import type { AttachmentLocks } from "./locks.js";
import { checkProblems, createTortiePlugin } from "./plugin.js";
import type { AttachmentRecord, AttachmentStore } from "./state.js";

/** Fakes of every edge, with a log of what happened in order. */
function world(
  fail: { ipamAdd?: boolean; create?: boolean; endpoint?: boolean; ping?: boolean } = {},
  locks?: AttachmentLocks,
) {
  const log: string[] = [];
  const links = new Set<string>();
  const records = new Map<string, AttachmentRecord>();
  const endpoints = new Map<string, WorkloadEndpoint>();
  let next = 10;
  const allocated = new Set<string>();
  const dataplane: Dataplane = {
    netnsExists: (p) => p !== "/gone",
    async create(plan) {
      log.push(`create ${plan.hostVeth}`);
      if (fail.create) throw new Error("ip link add: EPERM");
      links.add(plan.hostVeth);
      return { podMac: "02:00:00:00:00:01" };
    },
    async remove(v) {
      log.push(`remove ${v}`);
      return links.delete(v);
    },
    async inspect(v): Promise<Observed> {
      return links.has(v)
        ? {
            host: { up: true },
            hostRoutes: ["192.0.2.10/32"],
            pod: { up: true, mtu: 1500, addresses: ["192.0.2.10/32"] },
            podRoutes: [{ dst: "0.0.0.0/0", gateway: "169.254.1.1" }],
          }
        : { hostRoutes: [], podRoutes: [] };
    },
  };
  const ipam: PodIpam = {
    async add(c) {
      log.push("ipam add");
      if (fail.ipamAdd) throw new CniError(11, "pool busy");
      const ip = `192.0.2.${next++}/24`;
      allocated.add(String(c.env.CNI_CONTAINERID));
      return { cniVersion: "1.0.0", ips: [{ address: ip }] };
    },
    async del(c) {
      log.push("ipam del");
      allocated.delete(String(c.env.CNI_CONTAINERID));
    },
    async check() {
      log.push("ipam check");
    },
    async gc() {
      log.push("ipam gc");
    },
    async status() {
      log.push("ipam status");
    },
  };
  const store: AttachmentStore = {
    put: (r) => records.set(`${r.network}/${r.containerId}/${r.ifname}`, r),
    get: (n, c, i) => records.get(`${n}/${c}/${i}`),
    delete: (n, c, i) => void records.delete(`${n}/${c}/${i}`),
    list: (n) => [...records.values()].filter((r) => r.network === n),
  };
  const sink: EndpointSink = {
    async put(ep) {
      log.push("endpoint put");
      if (fail.endpoint) throw new Error("etcd down");
      endpoints.set(ep.containerId, ep);
    },
    async delete(_n, _net, c) {
      log.push("endpoint delete");
      endpoints.delete(c);
    },
    async ping() {
      if (fail.ping) throw new Error("connection refused");
    },
    async close() {},
  };
  const plugin = createTortiePlugin({
    dataplane,
    ipam: (_c: TortieConfig) => ipam,
    records: () => store,
    endpoints: (c) => (c.datastore ? sink : undefined),
    nodename: () => "node1",
    ...(locks ? { locks: () => locks } : {}),
  });
  return { plugin, log, links, records, endpoints, allocated };
}

const conf = (o: object = {}) =>
  JSON.stringify({
    cniVersion: "1.1.0",
    name: "pods",
    type: "tortie",
    ipam: { type: "host-local" },
    datastore: { type: "sqlite", path: "/var/lib/tortie/store.db" },
    ...o,
  });
const env = (cmd: string, id = "c1", netns = "/var/run/netns/p") => ({
  CNI_COMMAND: cmd,
  CNI_CONTAINERID: id,
  CNI_NETNS: netns,
  CNI_IFNAME: "eth0",
  CNI_PATH: "/usr/lib/cni",
  CNI_ARGS: 'K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-1;K8S_POD_LABELS={"app":"cart"}',
});
async function call(plugin: CniPlugin, e: Record<string, string>, stdin: string) {
  let out = "";
  const code = await skel(plugin, { env: e, stdin, stdout: (t) => (out += t) });
  return { code, out: out ? JSON.parse(out) : undefined };
}

describe("tortie plugin (fake edges)", () => {
  it("ADD: IPAM, then the dataplane, then the endpoint with labels, then the result", async () => {
    const w = world();
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.code).toBe(0);
    expect(w.log).toEqual([
      "ipam add",
      expect.stringMatching(/^create cali[0-9a-f]{11}$/),
      "endpoint put",
    ]);
    expect(r.out.ips).toEqual([{ address: "192.0.2.10/32", gateway: "169.254.1.1", interface: 1 }]);
    expect(w.endpoints.get("c1")).toMatchObject({
      node: "node1",
      namespace: "shop",
      pod: "cart-1",
      labels: { app: "cart" },
      ipNetworks: ["192.0.2.10/32"],
    });
    expect([...w.records.values()][0]).toMatchObject({ phase: "added", ips: ["192.0.2.10/32"] });
  });

  it("ADD into a namespace that does not exist fails with code 3 before anything happens", async () => {
    const w = world();
    const r = await call(w.plugin, env("ADD", "c1", "/gone"), conf());
    expect(r.out.code).toBe(3);
    expect(w.log).toEqual([]);
  });

  it("a failed IPAM ADD is followed by IPAM DEL (SPEC.md section 4), nothing else", async () => {
    const w = world({ ipamAdd: true });
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.out).toMatchObject({ code: 11, msg: "pool busy" });
    expect(w.log).toEqual(["ipam add", "ipam del"]);
    expect(w.records.size).toBe(0);
  });

  it("a dataplane failure rolls back what the ADD did: address released, no record", async () => {
    const w = world({ create: true });
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.out).toMatchObject({ code: 100, details: "ip link add: EPERM" });
    // the veth is not removed by name: create() made none (it undoes its own work)
    expect(w.log.slice(2)).toEqual(["ipam del", "endpoint delete"]);
    expect(w.allocated.size).toBe(0);
    expect(w.records.size).toBe(0);
  });

  it("ADD twice fails with code 104 and touches nothing of the first", async () => {
    const w = world();
    const first = await call(w.plugin, env("ADD"), conf());
    expect(first.code).toBe(0);
    const before = { log: w.log.length, links: [...w.links], alloc: [...w.allocated] };
    const again = await call(w.plugin, env("ADD"), conf());
    expect(again.out).toMatchObject({ code: 104 });
    expect(w.log.length).toBe(before.log); // no IPAM call, no create, no remove
    expect([...w.links]).toEqual(before.links);
    expect([...w.allocated]).toEqual(before.alloc);
    expect([...w.records.values()][0]).toMatchObject({ phase: "added" });
  });

  it("a record left by a crashed ADD is cleaned up (as DEL) before a new ADD", async () => {
    const w = world();
    w.records.set("pods/c1/eth0", {
      network: "pods",
      containerId: "c1",
      ifname: "eth0",
      netns: "/var/run/netns/p",
      hostVeth: "caliold",
      phase: "adding",
      ips: [],
      env: { CNI_COMMAND: "ADD" },
      stdin: conf(),
    });
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.code).toBe(0);
    expect(w.log.slice(0, 3)).toEqual(["remove caliold", "ipam del", "endpoint delete"]);
  });

  it("DEL wins: an ADD that sees a DEL waiting undoes its work and fails with 105", async () => {
    let waiting = false;
    const locks: AttachmentLocks = {
      lock: async () => ({
        delWaiting: () => waiting,
        deletedSince: () => false,
        release: () => undefined,
      }),
    };
    const w = world({}, locks);
    // a DEL queued before the ADD got its turn: nothing at all is done
    waiting = true;
    expect((await call(w.plugin, env("ADD"), conf())).out).toMatchObject({ code: 105 });
    expect(w.log).toEqual([]);
    // a DEL that arrives while the ADD runs: the ADD undoes what it made
    waiting = false;
    const orig = w.log.push.bind(w.log);
    w.log.push = (...a: string[]) => {
      if (a[0] === "endpoint put") waiting = true;
      return orig(...a);
    };
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.out).toMatchObject({ code: 105 });
    expect(w.links.size).toBe(0);
    expect(w.allocated.size).toBe(0);
    expect(w.records.size).toBe(0);
  });

  it("an ADD whose caller went away (signal aborted) undoes its work", async () => {
    const w = world();
    const gone = new AbortController();
    gone.abort();
    let out = "";
    const code = await skel(w.plugin, {
      env: env("ADD"),
      stdin: conf(),
      stdout: (t) => (out += t),
      signal: gone.signal,
    });
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ code: 105 });
    expect(w.allocated.size).toBe(0);
  });

  it("a datastore failure rolls back the interface too", async () => {
    const w = world({ endpoint: true });
    const r = await call(w.plugin, env("ADD"), conf());
    expect(r.out.code).toBe(102);
    expect(w.links.size).toBe(0);
    expect(w.allocated.size).toBe(0);
  });

  it("DEL is idempotent and works without a netns", async () => {
    const w = world();
    await call(w.plugin, env("ADD"), conf());
    expect((await call(w.plugin, env("DEL"), conf())).code).toBe(0);
    expect((await call(w.plugin, { ...env("DEL"), CNI_NETNS: "" }, conf())).code).toBe(0);
    expect(w.links.size + w.allocated.size + w.records.size + w.endpoints.size).toBe(0);
  });

  it("CHECK compares with prevResult and asks IPAM", async () => {
    const w = world();
    const add = await call(w.plugin, env("ADD"), conf());
    expect((await call(w.plugin, env("CHECK"), conf({ prevResult: add.out }))).code).toBe(0);
    expect(w.log.at(-1)).toBe("ipam check");
    await call(w.plugin, env("DEL"), conf());
    const r = await call(w.plugin, env("CHECK"), conf({ prevResult: add.out }));
    expect(r.out).toMatchObject({ code: 103, msg: expect.stringMatching(/missing/) });
    expect((await call(w.plugin, env("CHECK"), conf())).out.code).toBe(7);
  });

  it("GC deletes only attachments not in the valid list, then forwards GC to IPAM", async () => {
    const w = world();
    await call(w.plugin, env("ADD", "keep"), conf());
    await call(w.plugin, env("ADD", "drop"), conf());
    const gc = { CNI_COMMAND: "GC", CNI_PATH: "/usr/lib/cni" };
    const r = await call(
      w.plugin,
      gc,
      conf({ "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] }),
    );
    expect(r.code).toBe(0);
    expect([...w.allocated]).toEqual(["keep"]);
    expect([...w.records.values()].map((x) => x.containerId)).toEqual(["keep"]);
    expect(w.log.at(-1)).toBe("ipam gc");
  });

  it("STATUS reports code 50 when the datastore does not answer", async () => {
    expect((await call(world().plugin, { CNI_COMMAND: "STATUS" }, conf())).code).toBe(0);
    const r = await call(world({ ping: true }).plugin, { CNI_COMMAND: "STATUS" }, conf());
    expect(r.out).toMatchObject({ code: 50, details: "connection refused" });
  });

  it("rejects bad plugin settings with code 7 and bad pod labels with code 4", async () => {
    const w = world();
    expect((await call(w.plugin, env("ADD"), conf({ mtu: 10 }))).out.code).toBe(7);
    expect(
      (await call(w.plugin, env("ADD"), conf({ vethPrefix: "Way-Too-Long-Prefix" }))).out.code,
    ).toBe(7);
    expect(
      (await call(w.plugin, env("ADD"), conf({ datastore: { type: "etcd", endpoints: [] } }))).out
        .code,
    ).toBe(7);
    const bad = { ...env("ADD"), CNI_ARGS: "K8S_POD_LABELS=[1]" };
    expect((await call(w.plugin, bad, conf())).out.code).toBe(4);
    expect(w.log).toEqual([]);
  });
});

describe("checkProblems", () => {
  const want = { hostVeth: "cali0", ips: ["192.0.2.1/32", "2001:db8::1/128"], mtu: 1500 };
  it("lists everything missing", () => {
    expect(checkProblems(want, { hostRoutes: [], podRoutes: [] })).toEqual([
      "host interface cali0 is missing",
      "container interface is missing",
    ]);
    const p = checkProblems(want, {
      host: { up: false },
      hostRoutes: ["192.0.2.1/32"],
      pod: { up: true, mtu: 9000, addresses: ["192.0.2.1/32"] },
      podRoutes: [{ dst: "0.0.0.0/0", gateway: "169.254.1.1" }],
    });
    expect(p).toEqual([
      "host interface cali0 is down",
      "container interface MTU 9000, want 1500",
      "address 2001:db8::1/128 is missing in the container",
      "host route to 2001:db8::1/128 is missing",
      "default route (IPv6) is missing in the container",
    ]);
  });
});
