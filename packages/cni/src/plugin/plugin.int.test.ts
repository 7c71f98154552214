// The Tortie plugin, bundled as it is installed, run by the runtime inside a
// testbed "node" namespace for pods in testbed namespaces, with Debian's
// host-local as IPAM and portmap chained after it.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  exec,
  type Host,
  requirePrereqs,
  startEtcd,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locatePlugin, spawnExecutor } from "../runtime/exec.js";
import { invokePlugin } from "../runtime/invoke.js";
import type { AttachmentParams, CniRuntime } from "../runtime/runtime.js";
import { CniRuntime as Runtime } from "../runtime/runtime.js";
import { type NetworkConfigList, parseNetworkConfig } from "../spec/config.js";
import { DATASTORE_BUNDLE } from "./bundle.js";
import { calicoEndpointKey } from "./endpoint.js";
import { hostVethName, POD_GATEWAY_V6, workloadKey } from "./names.js";
import { buildPluginForTest, stopHelpers } from "./testing.js";
import { handleId } from "./tortie-ipam.js";

const skip = requirePrereqs(["root", "netns", "cni-plugins", "iptables"]);
const PODS = 30;

describe.skipIf(skip)("tortie plugin", () => {
  const tb = useTestbed();
  let topo: Topology;
  let node: Host;
  let rt: CniRuntime;
  let bin: Awaited<ReturnType<typeof buildPluginForTest>>;
  let work: string;
  const tag = `tp${process.pid.toString(36)}`;

  beforeAll(async () => {
    bin = await buildPluginForTest();
    const pods = Array.from({ length: PODS }, (_, i) => `p${i}`);
    topo = await tb.topology({
      hosts: ["node", "cl", ...pods],
      links: [
        {
          a: { host: "node", ifname: "uplink", addrs: ["198.51.100.1/30", "2001:db8:ff::1/64"] },
          b: { host: "cl", ifname: "eth0", addrs: ["198.51.100.2/30", "2001:db8:ff::2/64"] },
        },
      ],
      routes: [
        // a node has a default route: proxy ARP answers for 169.254.1.1 only
        // when the host routes it through another interface than the pod's
        { host: "node", to: "default", via: "198.51.100.2" },
        { host: "cl", to: "192.0.2.0/24", via: "198.51.100.1" },
        { host: "cl", to: "2001:db8:1::/64", via: "2001:db8:ff::1" },
      ],
    });
    node = topo.host("node");
    const path = [bin.dir, "/usr/lib/cni"];
    rt = new Runtime({
      path,
      exec: spawnExecutor({ prefix: ["ip", "netns", "exec", node.netns] }),
      locate: locatePlugin,
    });
    work = mkdtempSync(join(tmpdir(), "tortie-plugin-"));
    // the shim's resident helper keeps its secret here (one folder per node namespace)
    process.env.TORTIE_CNI_RUN_DIR = join(work, "run");
  }, 120_000);
  afterAll(async () => {
    if (work) await stopHelpers(join(work, "run"));
    bin?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const nodeRuntime = () =>
    new Runtime({
      path: [bin.dir, "/usr/lib/cni"],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", node.netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
      }),
      locate: locatePlugin,
    });
  const helperRuntime = () =>
    new Runtime({
      path: [bin.dir, "/usr/lib/cni"],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", node.netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "only" },
      }),
      locate: locatePlugin,
    });
  const helperUp = (runDir: string) =>
    existsSync(runDir) &&
    readdirSync(runDir).some((d) => d.startsWith("net-") && existsSync(join(runDir, d, "pid")));

  let nets = 0;
  /** A fresh network (own name, own host-local store). */
  const network = (
    ranges: object[][],
    extra: object[] = [],
    cniVersion = "1.0.0",
  ): NetworkConfigList => {
    const n = `${tag}-${nets++}`;
    return parseNetworkConfig({
      cniVersion,
      name: n,
      plugins: [
        {
          type: "tortie",
          mtu: 1400,
          dataDir: join(work, "state"),
          nodename: "node1",
          ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges },
        },
        ...extra,
      ],
    });
  };
  const V4 = [[{ subnet: "192.0.2.0/24" }]];
  const V6 = [[{ subnet: "2001:db8:1::/64" }]];
  const att = (pod: string, extra: Partial<AttachmentParams> = {}): AttachmentParams => ({
    containerId: `c-${pod}-${nets}`,
    netns: topo.host(pod).nsPath,
    ifname: "eth0",
    ...extra,
  });
  const reservations = (list: NetworkConfigList) => {
    const d = join(work, "ipam", list.name);
    return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
  };
  const caliLinks = async () =>
    (await node.ipJson<{ ifname: string }[]>(["link", "show"]))
      .map((l) => l.ifname)
      .filter((n) => n.startsWith("cali"));
  const ping = (h: Host, ip: string) =>
    h.exec(["ping", ip.includes(":") ? "-6" : "-4", "-c1", "-W2", ip]);
  const bare = (cidr: string) => cidr.split("/")[0]!;

  it("IPv4: ADD wires the pod like Calico, CHECK passes, DEL twice leaves nothing", async () => {
    const list = network(V4);
    const a = att("p0", {
      args: [
        ["IgnoreUnknown", "1"],
        ["K8S_POD_NAMESPACE", "default"],
        ["K8S_POD_NAME", "web-0"],
      ],
    });
    const out = await rt.add(list, a);
    const veth = hostVethName(
      workloadKey({ K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "web-0" }, a.containerId, "eth0"),
    );
    expect(veth).toMatch(/^cali[0-9a-f]{11}$/);
    expect(out.result.interfaces?.[0]).toMatchObject({ name: veth, mac: "ee:ee:ee:ee:ee:ee" });
    expect(out.result.interfaces?.[1]).toMatchObject({ name: "eth0", sandbox: a.netns });
    const ip = out.result.ips![0]!.address;
    expect(ip).toMatch(/^192\.0\.2\.\d+\/32$/);

    const pod = topo.host("p0");
    const [eth0] = await pod.ipJson<
      { mtu: number; addr_info: { local: string; prefixlen: number }[] }[]
    >(["addr", "show", "eth0"]);
    expect(eth0?.mtu).toBe(1400);
    expect(eth0?.addr_info.map((x) => `${x.local}/${x.prefixlen}`)).toContain(ip);
    const podRoutes = await pod.ipJson<{ dst: string; gateway?: string; scope?: string }[]>([
      "route",
      "show",
    ]);
    expect(podRoutes).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: "169.254.1.1" }),
    );
    expect(podRoutes).toContainEqual(
      expect.objectContaining({ dst: "169.254.1.1", scope: "link" }),
    );
    const [hostRoute] = await node.ipJson<{ dev: string; protocol: string }[]>([
      "route",
      "show",
      bare(ip),
    ]);
    expect(hostRoute).toMatchObject({ dev: veth });
    expect(String(hostRoute?.protocol)).toMatch(/^(84|tortie)$/);
    expect(
      (await node.exec(["sysctl", "-n", `net.ipv4.conf.${veth}.proxy_arp`])).stdout.trim(),
    ).toBe("1");
    expect((await node.ipJson<{ address: string }[]>(["link", "show", veth]))[0]?.address).toBe(
      "ee:ee:ee:ee:ee:ee",
    );

    await ping(pod, "198.51.100.1");
    await ping(topo.host("cl"), bare(ip));
    await rt.check(list, a, out.json);
    await rt.del(list, a, out.json);
    await rt.del(list, a, out.json);
    expect(await caliLinks()).toEqual([]);
    expect(await pod.ipJson(["link", "show"])).toHaveLength(1);
    expect(reservations(list)).toEqual([]);
    expect(readdirSync(join(work, "state", list.name))).toEqual([]);
  });

  it("IPv6: a /128, default via the host end's link-local address, reachable both ways", async () => {
    const list = network(V6);
    const a = att("p1");
    const out = await rt.add(list, a);
    const ip = out.result.ips![0]!.address;
    expect(ip).toMatch(/^2001:db8:1::[0-9a-f]+\/128$/);
    expect(out.result.routes).toContainEqual({ dst: "::/0", gw: POD_GATEWAY_V6 });
    const pod = topo.host("p1");
    const routes = await pod.ipJson<{ dst: string; gateway?: string }[]>(["-6", "route", "show"]);
    expect(routes).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: POD_GATEWAY_V6 }),
    );
    await ping(pod, "2001:db8:ff::1");
    await ping(topo.host("cl"), bare(ip));
    await rt.check(list, a, out.json);
    await rt.del(list, a, out.json);
    expect(await caliLinks()).toEqual([]);
    expect(reservations(list)).toEqual([]);
  });

  it("dual-stack: two pods on one host ping each other and the host over both families", async () => {
    const list = network([...V4, ...V6]);
    const a = att("p2");
    const b = att("p3");
    const ra = await rt.add(list, a);
    const rb = await rt.add(list, b);
    expect(
      ra.result.ips?.map((i) => i.address.endsWith("/32") || i.address.endsWith("/128")),
    ).toEqual([true, true]);
    for (const ip of rb.result.ips!) await ping(topo.host("p2"), bare(ip.address));
    for (const ip of ra.result.ips!) await ping(topo.host("p3"), bare(ip.address));
    await ping(topo.host("p2"), "198.51.100.1");
    await ping(topo.host("p3"), "2001:db8:ff::1");
    await rt.check(list, a, ra.json);
    await rt.del(list, a, ra.json);
    await rt.del(list, b, rb.json);
    expect(await caliLinks()).toEqual([]);
  });

  it("CHECK notices a missing address and a missing host route", async () => {
    const list = network(V4);
    const a = att("p4");
    const out = await rt.add(list, a);
    const ip = out.result.ips![0]!.address;
    await topo.host("p4").ip(["addr", "del", ip, "dev", "eth0"]);
    await expect(rt.check(list, a, out.json)).rejects.toMatchObject({
      code: 103,
      message: expect.stringMatching(/address/),
    });
    await rt.del(list, a, out.json);
    await expect(rt.check(list, a, out.json)).rejects.toMatchObject({ code: 103 });
  });

  it("works first in a chain with tuning, bandwidth and portmap: a host port reaches the pod", async () => {
    const list = network(V4, [
      { type: "tuning", sysctl: { "net.core.somaxconn": "512" } },
      {
        type: "bandwidth",
        ingressRate: 100_000_000,
        ingressBurst: 1_000_000,
        egressRate: 100_000_000,
        egressBurst: 1_000_000,
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ]);
    const a = att("p5", {
      capabilityArgs: { portMappings: [{ hostPort: 8082, containerPort: 8080, protocol: "tcp" }] },
    });
    const out = await rt.add(list, a);
    const pod = topo.host("p5");
    expect((await pod.exec(["sysctl", "-n", "net.core.somaxconn"])).stdout.trim()).toBe("512");
    const server = exec(
      [
        "ip",
        "netns",
        "exec",
        pod.netns,
        process.execPath,
        "-e",
        "const s=require('net').createServer(c=>c.end('pod says hi\\n')).listen(8080);setTimeout(()=>s.close(),15000)",
      ],
      { timeoutMs: 20_000 },
    ).catch(() => undefined);
    let reply = "";
    for (let i = 0; i < 50 && reply === ""; i++) {
      reply = (
        await topo
          .host("cl")
          .exec(["timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/198.51.100.1/8082 && cat <&3"])
          .catch(() => ({ stdout: "" }))
      ).stdout;
      if (reply === "") await new Promise((r) => setTimeout(r, 100));
    }
    expect(reply).toBe("pod says hi\n");
    await rt.del(list, a, out.json);
    expect((await node.exec(["iptables-save", "-t", "nat"])).stdout).not.toContain("dport 8082");
    expect(await caliLinks()).toEqual([]);
    const { stdout } = await exec(["ip", "netns", "pids", pod.netns]);
    for (const pid of stdout.split(/\s+/).filter(Boolean)) process.kill(Number(pid));
    await server;
  });

  it(`${PODS} concurrent ADDs on one host all succeed with distinct addresses`, async () => {
    const list = network([...V4]);
    const atts = Array.from({ length: PODS }, (_, i) =>
      att(`p${i}`, { containerId: `burst-${i}` }),
    );
    const outs = await Promise.all(atts.map((a) => rt.add(list, a)));
    const ips = outs.map((o) => o.result.ips![0]!.address);
    expect(new Set(ips).size).toBe(PODS);
    expect(new Set(outs.map((o) => o.result.interfaces![0]!.name)).size).toBe(PODS);
    expect(await caliLinks()).toHaveLength(PODS);
    await ping(topo.host("p7"), bare(ips[23]!));
    await Promise.all(atts.map((a, i) => rt.del(list, a, outs[i]!.json)));
    expect(await caliLinks()).toEqual([]);
    expect(reservations(list)).toEqual([]);
  });

  it("DEL succeeds after the namespace was deleted, and releases the address", async () => {
    const list = network(V4);
    const gone = await tb.topology({ hosts: ["gone"] });
    const a = { containerId: "c-gone", netns: gone.host("gone").nsPath, ifname: "eth0" };
    const out = await rt.add(list, a);
    expect(reservations(list)).toHaveLength(1);
    await gone.destroy();
    await rt.del(list, a, out.json);
    expect(reservations(list)).toEqual([]);
    expect(await caliLinks()).toEqual([]);
  });

  it("GC releases interfaces and addresses of attachments that are no longer valid", async () => {
    const list = network(V4, [], "1.1.0");
    const keep = att("p8", { containerId: "keep" });
    const drop = att("p9", { containerId: "drop" });
    const rk = await rt.add(list, keep);
    await rt.add(list, drop);
    expect(reservations(list)).toHaveLength(2);
    await rt.gc(list, [{ containerID: "keep", ifname: "eth0" }]);
    expect(reservations(list)).toHaveLength(1);
    expect(await caliLinks()).toEqual([rk.result.interfaces![0]!.name]);
    expect(await topo.host("p9").ipJson(["link", "show"])).toHaveLength(1);
    await rt.status(list);
    await rt.check(list, keep, rk.json);
    await rt.del(list, keep, rk.json);
    expect(reservations(list)).toEqual([]);
  });

  it("rolls back a half-done ADD: nothing allocated, no veth left", async () => {
    const list = network(V4);
    const pod = topo.host("p10");
    // an interface named like CNI_IFNAME already in the pod: the veth cannot be made
    await pod.ip(["link", "add", "eth0", "type", "veth", "peer", "name", "other0"]);
    await expect(rt.add(list, att("p10"))).rejects.toMatchObject({ code: 104 });
    expect(reservations(list)).toEqual([]);
    expect(await caliLinks()).toEqual([]);
    expect(readdirSync(join(work, "state", list.name))).toEqual([]);
    await pod.ip(["link", "del", "eth0"]);
  });

  it("writes the workload endpoint to a SQLite datastore on ADD and removes it on DEL", async () => {
    const { SqliteStore } = await import("@tortie/datastore");
    const db = join(work, "store.db");
    const n = `${tag}-ds`;
    const list = parseNetworkConfig({
      cniVersion: "1.1.0",
      name: n,
      plugins: [
        {
          type: "tortie",
          dataDir: join(work, "state"),
          nodename: "node1",
          datastore: { type: "sqlite", path: db },
          ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: V4 },
        },
      ],
    });
    const a = att("p12", {
      containerId: "c-ds",
      args: [
        ["IgnoreUnknown", "1"],
        ["K8S_POD_NAMESPACE", "shop"],
        ["K8S_POD_NAME", "cart-0"],
        ["K8S_POD_LABELS", JSON.stringify({ app: "cart", tier: "web" })],
      ],
    });
    const out = await rt.add(list, a);
    await rt.status(list);
    const store = new SqliteStore({ path: db });
    try {
      const kv = await store.get(calicoEndpointKey("shop", "node1-k8s-cart--0-eth0"));
      expect(JSON.parse(kv!.value)).toMatchObject({
        kind: "WorkloadEndpoint",
        metadata: { namespace: "shop", labels: { app: "cart", tier: "web" } },
        spec: {
          node: "node1",
          pod: "cart-0",
          interfaceName: out.result.interfaces![0]!.name,
          ipNetworks: [out.result.ips![0]!.address],
        },
      });
      await rt.del(list, a, out.json);
      expect(await store.get(calicoEndpointKey("shop", "node1-k8s-cart--0-eth0"))).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it("IPAM in-process (@tortie/ipam over SQLite): no pool yet then a pool at once, dual-stack, fixed address, CHECK, STATUS, GC, a burst of 30", async () => {
    const { SqliteStore } = await import("@tortie/datastore");
    const { Ipam } = await import("@tortie/ipam");
    const db = join(work, "ipam.db");
    const store = new SqliteStore({ path: db });
    const ipam = new Ipam({ store });
    try {
      const n = `${tag}-ti`;
      const list = parseNetworkConfig({
        cniVersion: "1.1.0",
        name: n,
        plugins: [
          {
            type: "tortie",
            dataDir: join(work, "state"),
            nodename: "node1",
            datastore: { type: "sqlite", path: db },
            ipam: { type: "tortie", assign_ipv6: true },
          },
        ],
      });
      // Before any pool exists, an ADD fails with code 101 and leaves the helper's
      // (shared, long-lived) IPAM client having read "no configuration"; a pool
      // applied right after must be used at once, not after that cache expires.
      const early = att("p14", { containerId: "ti-early" });
      const noPool = { code: 101, message: expect.stringContaining("no IP pools are configured") };
      await expect(rt.add(list, early)).rejects.toMatchObject(noPool);
      // that call may have run in Node (no helper yet); it started the helper: ask it too
      await waitFor(() => helperUp(join(work, "run")), { what: "the helper" });
      await expect(rt.add(list, early)).rejects.toMatchObject(noPool);
      await ipam.applyPool({ name: "pods-v4", cidr: "203.0.113.0/24", blockSize: 28 });
      await ipam.applyPool({ name: "pods-v6", cidr: "2001:db8:7::/112" });
      const a = att("p14", {
        containerId: "ti-1",
        args: [
          ["K8S_POD_NAMESPACE", "ns"],
          ["K8S_POD_NAME", "a"],
        ],
      });
      const out = await rt.add(list, a);
      const [v4, v6] = out.result.ips!.map((i) => i.address);
      expect(v4).toMatch(/^203\.0\.113\.\d+\/32$/);
      expect(v6).toMatch(/^2001:db8:7::[0-9a-f]*\/128$/);
      await ping(topo.host("p14"), "198.51.100.1");
      // ADD twice, through the helper and in Node: code 104, the pod keeps
      // its interface and its addresses stay allocated to it
      const held = await ipam.ipsByHandle(handleId(n, "node1", "ti-1", "eth0"));
      expect(held).toHaveLength(2);
      const mac = out.result.interfaces![1]!.mac;
      for (const r of [rt, nodeRuntime()]) {
        await expect(r.add(list, a)).rejects.toMatchObject({ code: 104 });
        expect(await ipam.ipsByHandle(handleId(n, "node1", "ti-1", "eth0"))).toEqual(held);
        const [eth0] = await topo
          .host("p14")
          .ipJson<{ address: string }[]>(["link", "show", "eth0"]);
        expect(eth0?.address).toBe(mac);
        await ping(topo.host("p14"), "198.51.100.1");
      }
      await rt.check(list, a, out.json);
      await rt.status(list);
      const fixed = att("p15", { containerId: "ti-2", args: [["IP", "203.0.113.200"]] });
      const f = await rt.add(list, fixed);
      expect(f.result.ips?.map((i) => i.address)).toContain("203.0.113.200/32");
      await rt.gc(list, [{ containerID: "ti-1", ifname: "eth0" }]);
      expect(await ipam.ipsByHandle(handleId(n, "node1", "ti-2", "eth0"))).toEqual([]);
      expect(await topo.host("p15").ipJson(["link", "show"])).toHaveLength(1);

      await rt.del(list, a, out.json);
      const burst = Array.from({ length: PODS }, (_, i) =>
        att(`p${i}`, { containerId: `tb-${i}` }),
      );
      const outs = await Promise.all(burst.map((b) => rt.add(list, b)));
      const ips = outs.map((o) => o.result.ips![0]!.address);
      expect(new Set(ips).size).toBe(PODS);
      await Promise.all(burst.map((b, i) => rt.del(list, b, outs[i]!.json)));
      expect((await ipam.listHandles()).length).toBe(0);
      expect(await caliLinks()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("IPAM and endpoint records on a live etcd: ADD allocates and records, CHECK, DEL releases and removes, DEL again succeeds", async () => {
    // etcd runs in the node namespace, where the plugin (and its helper) run;
    // the test reads and seeds it from there too, through the bundled client
    const etcd = await startEtcd({ host: node });
    /** Runs `body` (with `store` and `ipam` on this etcd) in the node namespace; its JSON result. */
    const onEtcd = async (body: string): Promise<unknown> => {
      const script = `import * as m from ${JSON.stringify(join(bin.dir, DATASTORE_BUNDLE))};
const store = new m.EtcdStore({ hosts: [${JSON.stringify(etcd.endpoint)}] });
const ipam = new m.Ipam({ store });
try { console.log(JSON.stringify((await (async () => { ${body} })()) ?? null)); }
finally { await store.close(); }`;
      const { stdout } = await node.exec([process.execPath, "--input-type=module", "-e", script]);
      return JSON.parse(stdout);
    };
    try {
      await onEtcd(`await ipam.applyPool({ name: "e4", cidr: "203.0.113.128/25", blockSize: 28 });
        await ipam.applyPool({ name: "e6", cidr: "2001:db8:8::/112" });`);
      const n = `${tag}-etcd`;
      const list = parseNetworkConfig({
        cniVersion: "1.1.0",
        name: n,
        plugins: [
          {
            type: "tortie",
            dataDir: join(work, "state"),
            nodename: "node1",
            datastore: { type: "etcd", endpoints: [etcd.endpoint] },
            ipam: { type: "tortie", assign_ipv6: true },
          },
        ],
      });
      // through the resident helper (warm store) and in Node alone (store opened and closed per call)
      const nodeOnly = new Runtime({
        path: [bin.dir, "/usr/lib/cni"],
        exec: spawnExecutor({
          prefix: ["ip", "netns", "exec", node.netns],
          baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
        }),
        locate: locatePlugin,
      });
      for (const [mode, r] of [
        ["helper", rt],
        ["node", nodeOnly],
      ] as const) {
        const cid = `c-etcd-${mode}`;
        const a = att("p16", {
          containerId: cid,
          args: [
            ["K8S_POD_NAMESPACE", "shop"],
            ["K8S_POD_NAME", "cart-1"],
          ],
        });
        const handle = handleId(n, "node1", cid, "eth0");
        const key = calicoEndpointKey("shop", "node1-k8s-cart--1-eth0");
        const stored = () =>
          onEtcd(`const kv = await store.get(${JSON.stringify(key)});
            return { record: kv ? JSON.parse(kv.value) : null,
                     ips: await ipam.ipsByHandle(${JSON.stringify(handle)}),
                     handles: (await ipam.listHandles()).length };`) as Promise<{
            record: unknown;
            ips: string[];
            handles: number;
          }>;

        const out = await r.add(list, a);
        const addrs = out.result.ips!.map((i) => i.address);
        expect(addrs).toHaveLength(2);
        const [v4, v6] = addrs;
        expect(v4).toMatch(/^203\.0\.113\.(1[3-9]\d|2[0-5]\d)\/32$/);
        expect(v6).toMatch(/^2001:db8:8::[0-9a-f]*\/128$/);
        const after = await stored();
        expect([...after.ips].sort()).toEqual(addrs.map(bare).sort());
        expect(after.handles).toBe(1);
        expect(after.record).toMatchObject({
          kind: "WorkloadEndpoint",
          metadata: { namespace: "shop" },
          spec: {
            node: "node1",
            pod: "cart-1",
            interfaceName: out.result.interfaces![0]!.name,
            ipNetworks: addrs,
          },
        });
        await ping(topo.host("p16"), "198.51.100.1");
        await r.check(list, a, out.json);
        await r.status(list);

        await r.del(list, a, out.json);
        expect(await stored()).toEqual({ record: null, ips: [], handles: 0 });
        expect(await caliLinks()).toEqual([]);
        await r.del(list, a, out.json);
        expect(await stored()).toEqual({ record: null, ips: [], handles: 0 });
      }
    } finally {
      await etcd.stop();
    }
  });

  it("STATUS reports code 50 when the datastore (SQLite or etcd) cannot be reached", async () => {
    for (const datastore of [
      { type: "sqlite", path: join(work, "no-such-dir", "store.db") },
      { type: "etcd", endpoints: ["http://127.0.0.1:9"] },
    ]) {
      const list = parseNetworkConfig({
        cniVersion: "1.1.0",
        name: `${tag}-down`,
        plugins: [
          { type: "tortie", dataDir: join(work, "state"), datastore, ipam: { type: "tortie" } },
        ],
      });
      await expect(rt.status(list)).rejects.toMatchObject({ code: 50 });
    }
  });

  it("hands calls to the resident helper, and runs in Node alone with TORTIE_CNI_HELPER=off", async () => {
    // the first call that runs in Node starts the helper in the node namespace
    const warm = network(V4);
    const w = att("p13", { containerId: "warm-up" });
    await rt.del(warm, w, (await rt.add(warm, w)).json);
    await waitFor(() => helperUp(join(work, "run")), { what: "the helper" });
    const listening = (await node.exec(["ss", "-Htln", "sport", "= :927"])).stdout;
    expect(listening).toContain("127.0.0.1:927");
    const nodeOnly = new Runtime({
      path: [bin.dir, "/usr/lib/cni"],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", node.netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
      }),
      locate: locatePlugin,
    });
    const helperOnly = new Runtime({
      path: [bin.dir, "/usr/lib/cni"],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", node.netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "only" },
      }),
      locate: locatePlugin,
    });
    const list = network(V4);
    for (const r of [helperOnly, nodeOnly]) {
      const a = att("p13", { containerId: `mode-${r === helperOnly ? "helper" : "node"}` });
      const out = await r.add(list, a);
      await ping(topo.host("p13"), "198.51.100.1");
      await r.check(list, a, out.json);
      await r.del(list, a, out.json);
    }
    expect(await caliLinks()).toEqual([]);
    expect(reservations(list)).toEqual([]);
    // a wrong secret in the file: the helper's proof does not check out, so
    // the shim sends it nothing and runs the call in Node, which succeeds
    const scope = readdirSync(join(work, "run")).find((d) => d.startsWith("net-"))!;
    const secretFile = join(work, "run", scope, "secret");
    const good = readFileSync(secretFile, "utf8");
    writeFileSync(secretFile, `${"0".repeat(64)}\n`);
    try {
      const a = att("p13", { containerId: "stale-secret" });
      await expect(helperOnly.add(list, a)).rejects.toMatchObject({ code: 11 });
      const out = await rt.add(list, a);
      await rt.del(list, a, out.json);
    } finally {
      writeFileSync(secretFile, good);
    }
    expect(await caliLinks()).toEqual([]);
  });

  it("failures reach the logFile with the delegated IPAM plugin's stderr; the runtime gets one-line errors, never a stack trace", async () => {
    // A delegated IPAM plugin that complains on stderr and fails.
    const fake = join(work, "fake-ipam");
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, "noisy-ipam"),
      '#!/bin/bash\necho "noisy-ipam: the pool is on fire" >&2\necho \'{"cniVersion":"1.0.0","code":11,"msg":"no addresses today"}\'\nexit 1\n',
      { mode: 0o755 },
    );
    const log = join(work, "log", "failures.log");
    // In Node alone, then through the shim twice (the first call may start the resident helper, the second is served by it).
    for (const [mode, helper] of [
      ["node", "off"],
      ["shim", undefined],
      ["shim-again", undefined],
    ] as const) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (helper) env.TORTIE_CNI_HELPER = helper;
      else delete env.TORTIE_CNI_HELPER;
      const r = new Runtime({
        path: [bin.dir, fake, "/usr/lib/cni"],
        exec: spawnExecutor({ prefix: ["ip", "netns", "exec", node.netns], baseEnv: env }),
        locate: locatePlugin,
      });
      const list = parseNetworkConfig({
        cniVersion: "1.0.0",
        name: `${tag}-log-${mode}`,
        plugins: [
          {
            type: "tortie",
            dataDir: join(work, "state"),
            nodename: "node1",
            logFile: log,
            ipam: { type: "noisy-ipam" },
          },
        ],
      });
      const err = await r.add(list, att("p16", { containerId: `log-${mode}` })).then(
        () => undefined,
        (e: { code?: number; msg?: string; details?: string }) => e,
      );
      expect(err, mode).toBeDefined();
      for (const text of [err!.msg ?? "", err!.details ?? ""]) {
        expect(text, mode).not.toMatch(/\n\s+at /);
        expect(text.split("\n").length, mode).toBe(1);
      }
      expect(readFileSync(log, "utf8"), mode).toContain("noisy-ipam: the pool is on fire");
      expect(await caliLinks(), mode).toEqual([]);
    }
    // An unexpected failure inside the plugin (its state folder is a file): a CNI error, one line, no stack.
    const notDir = join(work, "not-a-dir");
    writeFileSync(notDir, "");
    const list = parseNetworkConfig({
      cniVersion: "1.0.0",
      name: `${tag}-notdir`,
      plugins: [
        {
          type: "tortie",
          dataDir: notDir,
          nodename: "node1",
          logFile: log,
          ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: V4 },
        },
      ],
    });
    const e2 = await rt.add(list, att("p16", { containerId: "notdir" })).then(
      () => undefined,
      (e: { code?: number; msg?: string; details?: string }) => e,
    );
    expect(e2?.code).toBeGreaterThan(0);
    expect(`${e2?.msg ?? ""}\n${e2?.details ?? ""}`).not.toMatch(/\n\s+at /);
    expect(await caliLinks()).toEqual([]);
    expect(reservations(list)).toEqual([]);
  });

  it("ADD twice (host-local): code 104, the first pod keeps its interface, MAC, address and route", async () => {
    const list = network(V4);
    const a = att("p15", { containerId: "twice-hl" });
    const first = await rt.add(list, a);
    const ip = first.result.ips![0]!.address;
    const mac = first.result.interfaces![1]!.mac;
    for (const r of [rt, nodeRuntime()]) {
      await expect(r.add(list, a)).rejects.toMatchObject({ code: 104 });
      const [eth0] = await topo.host("p15").ipJson<{ address: string }[]>(["link", "show", "eth0"]);
      expect(eth0?.address).toBe(mac);
      expect(reservations(list)).toEqual([bare(ip)]);
      await ping(topo.host("cl"), bare(ip));
    }
    await rt.check(list, a, first.json);
    await rt.del(list, a, first.json);
    expect(reservations(list)).toEqual([]);
    expect(await caliLinks()).toEqual([]);
  });

  it("a datastore folder that is missing is created; a failed open is not remembered by the helper", async () => {
    await waitFor(() => helperUp(join(work, "run")), { what: "the helper" });
    const only = helperRuntime();
    const withStore = (path: string) => {
      const n = `${tag}-st${nets++}`;
      return parseNetworkConfig({
        cniVersion: "1.0.0",
        name: n,
        plugins: [
          {
            type: "tortie",
            dataDir: join(work, "state"),
            nodename: "node1",
            datastore: { type: "sqlite", path },
            ipam: { type: "host-local", dataDir: join(work, "ipam"), ranges: V4 },
          },
        ],
      });
    };
    // a store in folders that do not exist yet
    const fresh = withStore(join(work, "fresh", "a", "b", "store.db"));
    const a = att("p16", { containerId: "st-fresh" });
    const out = await only.add(fresh, a);
    expect(existsSync(join(work, "fresh", "a", "b", "store.db"))).toBe(true);
    await only.del(fresh, a, out.json);
    // a store that cannot be opened (its folder is a file): a spec error, nothing left
    const blocked = join(work, "blocked");
    writeFileSync(blocked, "not a folder");
    const bad = withStore(join(blocked, "store.db"));
    const b = att("p16", { containerId: "st-blocked" });
    await expect(only.add(bad, b)).rejects.toMatchObject({ code: 102 });
    expect(reservations(bad)).toEqual([]);
    expect(await caliLinks()).toEqual([]);
    // once it can be opened, the same (warm) helper opens it: no failure cached
    rmSync(blocked);
    const ok = await only.add(bad, b);
    await only.del(bad, b, ok.json);
    expect(await caliLinks()).toEqual([]);
  });

  describe("bad input: the spec's error code, nothing leaked", () => {
    const good = () => ({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "c-bad",
      CNI_NETNS: topo.host("p11").nsPath,
      CNI_IFNAME: "eth0",
      CNI_PATH: `${bin.dir}:/usr/lib/cni`,
    });
    const conf = (o: object = {}) =>
      JSON.stringify({
        cniVersion: "1.0.0",
        name: `${tag}-bad`,
        type: "tortie",
        dataDir: join(work, "state"),
        ipam: { type: "host-local", dataDir: join(work, "ipam"), subnet: "203.0.113.0/24" },
        ...o,
      });
    const cases: [
      string,
      (e: Record<string, string>) => Record<string, string>,
      () => string,
      number,
    ][] = [
      ["missing CNI_COMMAND", ({ CNI_COMMAND: _, ...e }) => e, () => conf(), 4],
      ["unknown CNI_COMMAND", (e) => ({ ...e, CNI_COMMAND: "REBOOT" }), () => conf(), 4],
      ["missing container id", ({ CNI_CONTAINERID: _, ...e }) => e, () => conf(), 4],
      ["missing netns", ({ CNI_NETNS: _, ...e }) => e, () => conf(), 4],
      [
        "a netns path that does not exist",
        (e) => ({ ...e, CNI_NETNS: "/var/run/netns/no-such-ns" }),
        () => conf(),
        3,
      ],
      ["empty stdin", (e) => e, () => "", 6],
      ["invalid JSON", (e) => e, () => "{not json", 6],
      ["unsupported cniVersion", (e) => e, () => conf({ cniVersion: "0.2.0" }), 1],
      ["missing name", (e) => e, () => conf({ name: undefined }), 7],
      ["missing type", (e) => e, () => conf({ type: undefined }), 7],
      [
        "an interface name that is too long",
        (e) => ({ ...e, CNI_IFNAME: "eth0-way-too-long" }),
        () => conf(),
        4,
      ],
      ["malformed CNI_ARGS", (e) => ({ ...e, CNI_ARGS: "K8S_POD_NAME" }), () => conf(), 4],
      ["missing ipam", (e) => e, () => conf({ ipam: undefined }), 7],
    ];
    it.each(cases)("%s", async (_name, env, stdin, code) => {
      const err = await invokePlugin(
        spawnExecutor({
          prefix: ["ip", "netns", "exec", node.netns],
          baseEnv: { PATH: process.env.PATH },
        }),
        {
          pluginPath: join(bin.dir, "tortie"),
          env: env(good()),
          stdin: stdin(),
        },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code });
      expect(await caliLinks()).toEqual([]);
      expect(await topo.host("p11").ipJson(["link", "show"])).toHaveLength(1);
      const d = join(work, "ipam", `${tag}-bad`);
      expect(existsSync(d) ? readdirSync(d).filter((f) => /^\d/.test(f)) : []).toEqual([]);
    });
  });
});
