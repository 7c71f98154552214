// Builds and drives the lab: namespaces, the datastore, the cluster's Calico
// YAML applied with `tortiectl`, a `tortie-node` agent per node, BIG-IP (FRR
// configured from `tortiectl bigip config --format frr`, HAProxy as the
// virtual server), pods created through the Tortie CNI plugin, and a client.
//
// Everything runs as separate processes, the way an operator would run them;
// the lab process is only the "kubelet" (it calls the CNI plugin) and the
// "CIS controller" (it keeps the virtual server's pool in step with the
// workload endpoints in the datastore).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createTopology,
  Daemon,
  type Etcd,
  exec,
  type Frr,
  type Host,
  startEtcd,
  startFrr,
  type Topology,
  waitFor,
} from "@tortie/testbed";
import { haproxyConfig, type PoolMember } from "./haproxy.js";
import {
  BIGIP_IP,
  BIGIP_OUTSIDE_IP,
  CLIENT_IP,
  type LabPlan,
  MAX_NODES,
  type NodePlan,
  POD_PORT,
  type PodPlan,
  planLab,
  planNode,
  VIRTUAL_SERVER,
} from "./plan.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
/** The Calico YAML the lab applies, as a reader would apply it. */
export const MANIFESTS = join(REPO, "examples/lab/manifests");
const TORTIECTL = join(REPO, "examples/tortiectl/src/main.ts");
const AGENT = join(REPO, "examples/node-agent/src/cli/bin.mjs");
const CNI_BIN = join(REPO, "packages/cni/dist/bin");
const POD_SERVER = join(REPO, "examples/lab/src/pod-server.mjs");
/** Where a running lab keeps its files (store, CNI state, logs, sockets). */
export const LAB_DIR = "/run/tortie-lab";

/** Options of `lab up`. */
export interface LabOptions {
  readonly nodes: number;
  readonly podsPerNode?: number;
  readonly datastore: "embedded" | "etcd";
  /** Where the lab keeps its files (default {@link LAB_DIR}; tests use their own). */
  readonly dir?: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** A node as it runs. */
interface RunningNode {
  readonly plan: NodePlan;
  readonly host: Host;
  agent: Daemon;
  readonly pods: Map<string, RunningPod>;
}

interface RunningPod {
  readonly plan: PodPlan;
  readonly host: Host;
  readonly server: Daemon;
  ip?: string;
}

/** The running lab. */
export class Lab {
  readonly nodes = new Map<string, RunningNode>();
  private haproxy: Daemon | undefined;
  private poolTimer: NodeJS.Timeout | undefined;
  // The pool sync in flight (down() waits for it, so no tortiectl it started
  // outlives the lab) and HAProxy processes retired by a reload.
  private poolSync: Promise<void> | undefined;
  private readonly retired = new Set<Daemon>();
  private lastPool = "";
  private stopped = false;

  private constructor(
    readonly topo: Topology,
    readonly plan: LabPlan,
    readonly opts: LabOptions,
    readonly bigip: Frr,
    public etcd: Etcd | undefined,
    readonly dir: string,
  ) {}

  /** The host of BIG-IP. */
  get bigipHost(): Host {
    return this.topo.host("bigip");
  }

  /** The client behind BIG-IP. */
  get client(): Host {
    return this.topo.host("client");
  }

  /** Builds the whole lab; on failure removes whatever it made. */
  static async up(opts: LabOptions): Promise<Lab> {
    const log = opts.log ?? (() => {});
    const plan = planLab(opts.nodes, opts.podsPerNode);
    const dir = opts.dir ?? LAB_DIR;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    log(`namespaces: client, bigip, ${plan.nodes.map((n) => n.name).join(", ")} and their pods`);
    const topo = await createTopology(topologyOf(plan, MAX_NODES));
    let etcd: Etcd | undefined;
    let frr: Frr | undefined;
    let lab: Lab | undefined;
    try {
      if (opts.datastore === "etcd") {
        etcd = await startEtcd({ host: topo.host("store"), ip: "192.0.2.5" });
        log(`datastore: etcd at ${etcd.endpoint} (in its own namespace on the node network)`);
      } else {
        log(
          `datastore: embedded (SQLite ${join(dir, "store.db")}, shared by every node of this machine)`,
        );
      }
      const ctl = (args: readonly string[]) => tortiectl(topo, etcd, dir, args);
      log(`tortiectl apply -f ${MANIFESTS}`);
      log(`  ${(await ctl(["apply", "-f", MANIFESTS])).trim()}`);

      // BIG-IP first, with the peering the cluster expects; its neighbours
      // come from `tortiectl bigip config` once the nodes have registered.
      lab = new Lab(topo, plan, opts, undefined as never, etcd, dir);
      for (const n of plan.nodes) await lab.startNode(n);
      await waitFor(
        async () => {
          const out = await ctl(["get", "nodes", "-o", "custom-columns=NAME:.metadata.name"]);
          return plan.nodes.every((n) => out.split("\n").includes(n.name));
        },
        { what: "every agent registered its Node", timeoutMs: 60_000 },
      );
      const frrConf = await ctl(["bigip", "config", "--format", "frr"]);
      writeFileSync(join(dir, "bigip-frr.conf"), frrConf);
      frr = await startFrr(topo.host("bigip"), frrConf);
      (lab as { bigip: Frr }).bigip = frr;
      log(
        "bigip: FRR configured from `tortiectl bigip config --format frr` (router bgp 64512, peer-group calico-k8s)",
      );
      await Promise.all(plan.nodes.map((n) => frr!.waitEstablished(n.ip, { timeoutMs: 60_000 })));
      log("bgp: every node Established with BIG-IP");
      for (const n of plan.nodes) for (const p of n.pods) await lab.addPod(p);
      log(
        `pods: ${plan.nodes.flatMap((n) => n.pods.map((p) => p.name)).join(", ")} created through the Tortie CNI plugin`,
      );
      await lab.startVirtualServer();
      log(
        `bigip: virtual server ${VIRTUAL_SERVER.ip}:${VIRTUAL_SERVER.port} (HAProxy) with the pods as pool members`,
      );
      return lab;
    } catch (e) {
      if (lab) await lab.down();
      else {
        await frr?.stop();
        await etcd?.stop();
        await topo.destroy();
      }
      throw e;
    }
  }

  /** Runs tortiectl against the lab's datastore; returns stdout. */
  ctl(args: readonly string[]): Promise<string> {
    return tortiectl(this.topo, this.etcd, this.dir, args);
  }

  /** Starts the agent of a planned node (its namespace exists). */
  async startNode(n: NodePlan): Promise<void> {
    const host = this.topo.host(n.host);
    const nodeDir = join(this.dir, n.name);
    mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
    const agent = this.spawnAgent(n, host, nodeDir);
    this.nodes.set(n.name, { plan: n, host, agent, pods: new Map() });
    await agent.waitFor(() => exec(["test", "-S", join(nodeDir, "node.sock")]).then(() => true), {
      what: "control socket",
      timeoutMs: 60_000,
    });
  }

  private spawnAgent(n: NodePlan, host: Host, nodeDir: string): Daemon {
    return new Daemon({
      label: `tortie-node@${n.name}`,
      host,
      dir: nodeDir,
      argv: [
        process.execPath,
        AGENT,
        "--nodename",
        n.name,
        "--ip",
        n.cidr,
        ...this.datastoreFlags(),
        "--control-socket",
        join(nodeDir, "node.sock"),
        "--health-listen",
        "127.0.0.1:9099",
      ],
      env: { NODE_OPTIONS: "" },
    });
  }

  private datastoreFlags(): string[] {
    return this.etcd
      ? ["--datastore-type", "etcdv3", "--etcd-endpoints", this.etcd.endpoint]
      : ["--datastore-type", "sqlite", "--datastore-path", join(this.dir, "store.db")];
  }

  /** Stops the etcd variant's datastore for `downMs` and starts it again on its data. */
  async restartEtcd(downMs: number): Promise<void> {
    if (!this.etcd) throw new Error("the lab runs on the embedded store, not etcd");
    this.etcd = await this.etcd.restart(downMs);
  }

  /** kill -9 a node's agent (its routes and sessions must survive). */
  killAgent(node: string): Promise<unknown> {
    const n = this.mustNode(node);
    n.agent.signal("SIGKILL");
    return n.agent.exited;
  }

  /** Starts a node's agent again after {@link killAgent}. */
  async restartAgent(node: string): Promise<void> {
    const n = this.mustNode(node);
    if (n.agent.running) throw new Error(`${node}: agent still running`);
    const nodeDir = join(this.dir, node);
    rmSync(join(nodeDir, "node.sock"), { force: true });
    n.agent = this.spawnAgent(n.plan, n.host, nodeDir);
    await n.agent.waitFor(() => exec(["test", "-S", join(nodeDir, "node.sock")]).then(() => true), {
      what: "control socket",
      timeoutMs: 60_000,
    });
  }

  /** Adds node `i` (its namespace was made with the lab) and BIG-IP's neighbour for it. */
  async addNode(i: number): Promise<NodePlan> {
    const n = planNode(i, this.opts.podsPerNode ?? 2);
    if (this.nodes.has(n.name)) throw new Error(`${n.name} already runs`);
    await this.startNode(n);
    // BIG-IP gets the new neighbour as an operator would add it: the same
    // `tortiectl bigip config` output, applied to the running router.
    await waitFor(
      async () =>
        (await this.ctl(["get", "nodes", "-o", "custom-columns=N:.metadata.name"])).includes(
          n.name,
        ),
      {
        what: `${n.name} registered`,
      },
    );
    await this.bigip.vtysh(
      "configure terminal",
      "router bgp 64512",
      `neighbor ${n.ip} peer-group calico-k8s`,
    );
    return n;
  }

  /** Creates a pod through the CNI plugin and starts its HTTP server. */
  async addPod(p: PodPlan, opts: { ipv4Pools?: readonly string[] } = {}): Promise<string> {
    const node = this.mustNode(p.node);
    const host = this.topo.host(p.host);
    // A pod asking for given pools (Calico's ipv4pools annotation) gets a
    // network configuration of its own that names them.
    const conf = join(
      this.dir,
      node.plan.name,
      opts.ipv4Pools ? `pods-${opts.ipv4Pools.join("-")}.conflist` : "pods.conflist",
    );
    writeFileSync(conf, JSON.stringify(this.conflist(node.plan, opts.ipv4Pools), null, 2));
    const { stdout } = await this.cni(node, "add", conf, p);
    const result = JSON.parse(stdout) as { ips?: { address: string }[] };
    const ip = result.ips?.[0]?.address.split("/")[0];
    if (!ip) throw new Error(`${p.name}: CNI ADD returned no address: ${stdout}`);
    const server = new Daemon({
      label: `http@${p.name}`,
      host,
      argv: [process.execPath, POD_SERVER, p.name, String(POD_PORT)],
    });
    await server.waitFor(
      () =>
        host
          .exec(["bash", "-c", `exec 3<>/dev/tcp/${ip}/${POD_PORT}`])
          .then(() => true)
          .catch(() => false),
      { what: "pod HTTP server listening", timeoutMs: 20_000 },
    );
    node.pods.set(p.name, { plan: p, host, server, ip });
    return ip;
  }

  /** Deletes a pod: its server stops and the CNI plugin's DEL releases its address. */
  async deletePod(name: string): Promise<void> {
    for (const node of this.nodes.values()) {
      const pod = node.pods.get(name);
      if (!pod) continue;
      await pod.server.stop();
      await this.cni(node, "del", join(this.dir, node.plan.name, "pods.conflist"), pod.plan);
      node.pods.delete(name);
      return;
    }
    throw new Error(`no pod ${name}`);
  }

  private conflist(n: NodePlan, ipv4Pools?: readonly string[]) {
    return {
      cniVersion: "1.1.0",
      name: "k8s-pod-network",
      plugins: [
        {
          type: "tortie",
          nodename: n.name,
          datastore: this.etcd
            ? { type: "etcd", endpoints: [this.etcd.endpoint] }
            : { type: "sqlite", path: join(this.dir, "store.db") },
          dataDir: join(this.dir, n.name, "cni"),
          ipam: { type: "tortie", ...(ipv4Pools ? { ipv4_pools: [...ipv4Pools] } : {}) },
        },
      ],
    };
  }

  private cni(node: RunningNode, verb: "add" | "del", conf: string, p: PodPlan) {
    const podNs = this.topo.host(p.host).netns;
    return node.host.exec(
      [
        "env",
        `CNI_PATH=${CNI_BIN}:/usr/lib/cni`,
        `CNI_CACHE_DIR=${join(this.dir, node.plan.name, "cni-cache")}`,
        `CNI_CONTAINERID=${p.name}`,
        `CNI_ARGS=K8S_POD_NAMESPACE=${p.namespace};K8S_POD_NAME=${p.name};K8S_POD_LABELS=${JSON.stringify(p.labels)}`,
        process.execPath,
        join(CNI_BIN, "tortie-cni.mjs"),
        verb,
        conf,
        podNs,
      ],
      { timeoutMs: 60_000 },
    );
  }

  /** Starts HAProxy and keeps its pool in step with the workload endpoints. */
  async startVirtualServer(): Promise<void> {
    await this.syncPool();
    this.poolTimer = setInterval(() => {
      if (this.poolSync || this.stopped) return;
      this.poolSync = this.syncPool()
        .catch(() => {})
        .finally(() => {
          this.poolSync = undefined;
        });
    }, 1000);
    this.poolTimer.unref();
  }

  /** The pool members now: every pod with an address, by the datastore. */
  async poolMembers(): Promise<PoolMember[]> {
    const out = await this.ctl(["get", "workloadendpoints", "-A", "-o", "json"]);
    const list = JSON.parse(out) as { items: { metadata: { name: string }; spec: WepSpec }[] };
    const members: PoolMember[] = [];
    for (const w of list.items) {
      const ip = w.spec.ipNetworks?.[0]?.split("/")[0];
      if (ip && w.spec.pod) members.push({ name: w.spec.pod, ip, port: POD_PORT });
    }
    return members.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async syncPool(): Promise<void> {
    if (this.stopped) return;
    const members = await this.poolMembers();
    if (this.stopped) return;
    const cfg = haproxyConfig({
      vip: VIRTUAL_SERVER.ip,
      port: VIRTUAL_SERVER.port,
      members,
      statsSocket: join(this.dir, "haproxy.sock"),
    });
    if (cfg === this.lastPool && this.haproxy?.running) return;
    const file = join(this.dir, "haproxy.cfg");
    writeFileSync(file, cfg);
    const old = this.haproxy;
    mkdirSync(join(this.dir, "haproxy"), { recursive: true });
    // A soft reload, as BIG-IP applies a pool change: the new process takes
    // the listening socket, the old one finishes its requests (-sf).
    this.haproxy = new Daemon({
      label: "haproxy@bigip",
      host: this.bigipHost,
      dir: join(this.dir, "haproxy"),
      argv: [
        "haproxy",
        "-W",
        "-db",
        "-f",
        file,
        ...(old?.pid ? ["-x", join(this.dir, "haproxy.sock"), "-sf", String(old.pid)] : []),
      ],
    });
    this.lastPool = cfg;
    await waitFor(
      () =>
        this.bigipHost
          .exec(["bash", "-c", `exec 3<>/dev/tcp/${VIRTUAL_SERVER.ip}/${VIRTUAL_SERVER.port}`])
          .then(() => true)
          .catch(() => false),
      { what: "virtual server listening", timeoutMs: 10_000 },
    );
    if (old) {
      this.retired.add(old);
      setTimeout(() => {
        this.retired.delete(old);
        void old.stop();
      }, 2000).unref();
    }
  }

  /** The pool as HAProxy has it: server name → address (its stats socket). */
  async haproxyPool(): Promise<Record<string, string>> {
    const text = await unixRequest(join(this.dir, "haproxy.sock"), "show servers state pool_web\n");
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
      const f = line.split(" ");
      if (f.length > 5 && /^\d+$/.test(f[0]!)) out[f[3]!] = f[4]!;
    }
    return out;
  }

  /** One HTTP GET through the virtual server from the client: the pod's name. */
  async httpFromClient(path = "/"): Promise<string> {
    const { stdout } = await this.client.exec(
      [
        "curl",
        "-s",
        "--max-time",
        "3",
        `http://${VIRTUAL_SERVER.ip}:${VIRTUAL_SERVER.port}${path}`,
      ],
      { timeoutMs: 5000 },
    );
    return stdout.trim();
  }

  private mustNode(name: string): RunningNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Stops everything and removes namespaces and files. Idempotent. */
  async down(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.poolTimer) clearInterval(this.poolTimer);
    await this.poolSync;
    await this.haproxy?.stop();
    for (const old of this.retired) await old.stop();
    this.retired.clear();
    for (const n of this.nodes.values()) {
      for (const p of n.pods.values()) await p.server.stop();
      await n.agent.stop();
    }
    await this.bigip?.stop();
    await this.etcd?.stop();
    await this.topo.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface WepSpec {
  readonly pod?: string;
  readonly node?: string;
  readonly ipNetworks?: readonly string[];
}

// Every node the lab can have (so `addNode` needs no new namespace), BIG-IP,
// the client and the etcd host on the node network, one namespace per pod.
function topologyOf(plan: LabPlan, maxNodes: number) {
  const all = Array.from({ length: maxNodes }, (_, i) =>
    planNode(i + 1, plan.nodes[0]?.pods.length ?? 2),
  );
  return {
    hosts: [
      "client",
      "bigip",
      "store",
      ...all.flatMap((n) => [n.host, ...n.pods.map((p) => p.host)]),
    ],
    segments: {
      nodes: {
        members: {
          bigip: [`${BIGIP_IP}/24`],
          store: ["192.0.2.5/24"],
          ...Object.fromEntries(all.map((n) => [n.host, [n.cidr]])),
        },
      },
    },
    links: [
      {
        a: { host: "bigip", addrs: [`${BIGIP_OUTSIDE_IP}/24`, `${VIRTUAL_SERVER.ip}/32`] },
        b: { host: "client", addrs: [`${CLIENT_IP}/24`] },
      },
    ],
    routes: [
      { host: "client", to: "default", via: BIGIP_OUTSIDE_IP },
      // A node's default route points at BIG-IP, as on F5's lab network; the
      // pod routes the nodes learn by BGP are more specific and win.
      ...all.map((n) => ({ host: n.host, to: "default", via: BIGIP_IP })),
    ],
  };
}

async function tortiectl(
  topo: Topology,
  etcd: Etcd | undefined,
  dir: string,
  args: readonly string[],
): Promise<string> {
  const store = etcd
    ? ["--datastore-type", "etcdv3", "--etcd-endpoints", etcd.endpoint]
    : ["--datastore-type", "sqlite", "--datastore-path", join(dir, "store.db")];
  const argv = [
    process.execPath,
    "--import",
    "tsx",
    "--conditions",
    "source",
    TORTIECTL,
    ...store,
    ...args,
  ];
  // With etcd the store is on the node network: run tortiectl from the store's host.
  const { stdout } = etcd
    ? await topo.host("store").exec(argv, { cwd: REPO })
    : await exec(argv, { cwd: REPO });
  return stdout;
}

// One request on a Unix stream socket; the answer until the server closes.
function unixRequest(path: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const sock = createConnection(path, () => sock.end(request));
    sock.setEncoding("utf8");
    sock.setTimeout(3000, () => sock.destroy(new Error(`${path}: no answer`)));
    sock.on("data", (d) => {
      data += d;
    });
    sock.on("end", () => resolve(data));
    sock.on("error", reject);
  });
}
