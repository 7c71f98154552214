// Truth tables with real packets: pods are network namespaces joined to a
// "node" namespace by veths; the node routes between them and holds the nft
// table rendered from the policy state. For every (source, destination,
// probe) cell a real TCP connect, UDP exchange or ping runs, and the
// kernel's answer must equal the engine's verdict — in every cell.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, type Host, requirePrereqs, type Topology, useTestbed } from "@tortie/testbed";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicyEngine } from "../engine/engine.js";
import { NftApplier, nftRunner } from "./apply.js";
import { NftRenderer, renderRuleset } from "./render.js";

const skip = requirePrereqs(["root", "netns", "nft"]);

const TCP_PORTS = [80, 5432, 8080, 9001];
const UDP_PORTS = [53];

// A pod's agent, one long-lived process per pod: its servers (TCP
// accept-and-close on each port, UDP echo) and its client, which runs every
// probe it is asked for at once on a Unix socket (a file: reachable from the
// test outside the pod's network namespace) and answers one JSON line of
// booleans. No Node start-up per probe round: on two shared cores that, not
// the waiting, was most of a round's time.
const AGENT = `
const net = require("node:net"), dgram = require("node:dgram"), { execFile } = require("node:child_process");
const [tcp, udp] = JSON.parse(process.argv[2]); const sock = process.argv[3];
let n = 0; const total = 2 * (tcp.length + udp.length) + 1;
const done = () => { if (++n === total) console.log("ready"); };
for (const p of tcp) {
  net.createServer((s) => s.end()).listen(p, "0.0.0.0", done);
  net.createServer((s) => s.end()).listen({ port: p, host: "::", ipv6Only: true }, done);
}
for (const type of ["udp4", "udp6"]) for (const p of udp) {
  const s = dgram.createSocket(type === "udp6" ? { type, ipv6Only: true } : { type }); s.on("message", (m, r) => s.send(m, r.port, r.address));
  s.bind(p, type === "udp4" ? "0.0.0.0" : "::", done);
}
const one = (p, i, T, base) => new Promise((res) => {
  if (p.kind === "tcp") {
    const s = net.connect({ host: p.dst, port: p.port }); const t = setTimeout(() => { s.destroy(); res(false); }, T);
    s.on("connect", () => { clearTimeout(t); s.destroy(); res(true); }); s.on("error", () => { clearTimeout(t); res(false); });
  } else if (p.kind === "udp") {
    const s = dgram.createSocket(p.dst.includes(":") ? "udp6" : "udp4"); const t = setTimeout(() => { s.close(); res(false); }, T);
    s.on("message", () => { clearTimeout(t); s.close(); res(true); }); s.bind(base + i, () => s.send("x", p.port, p.dst));
  } else execFile("ping", ["-c1", "-W" + Math.ceil(T / 1000), p.dst], (e) => res(!e));
});
net.createServer({ allowHalfOpen: true }, (c) => {
  let req = ""; c.on("data", (d) => { req += d; });
  c.on("end", () => {
    const { probes, T, base } = JSON.parse(req);
    Promise.all(probes.map((p, i) => one(p, i, T, base))).then((r) => c.end(JSON.stringify(r) + "\\n"));
  });
}).listen(sock, done);
`;

/** Sends one request to a pod agent's socket; its whole answer, or an error after `guardMs`. */
function ask(sock: string, req: unknown, guardMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let buf = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer on ${sock} within ${guardMs} ms`));
    }, guardMs);
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      buf += d;
    });
    c.on("end", () => {
      clearTimeout(t);
      resolve(buf);
    });
    c.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    c.end(`${JSON.stringify(req)}\n`);
  });
}

interface PodSpec {
  readonly host: string;
  readonly ns: string;
  readonly name: string;
  readonly ip: string;
  readonly ip6?: string;
  readonly labels: Record<string, string>;
  readonly ports?: { name: string; protocol: string; port: number }[];
}
const PODS: PodSpec[] = [
  {
    host: "web",
    ns: "prod",
    name: "web",
    ip: "192.0.2.10",
    ip6: "2001:db8::10",
    labels: { app: "web" },
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
  },
  {
    host: "db",
    ns: "prod",
    name: "db",
    ip: "192.0.2.11",
    ip6: "2001:db8::11",
    labels: { app: "db" },
  },
  {
    host: "cli",
    ns: "prod",
    name: "cli",
    ip: "192.0.2.12",
    ip6: "2001:db8::12",
    labels: { app: "client" },
  },
  {
    host: "cli2",
    ns: "dev",
    name: "cli2",
    ip: "192.0.2.20",
    ip6: "2001:db8::20",
    labels: { app: "client" },
  },
  {
    host: "web2",
    ns: "dev",
    name: "web2",
    ip: "192.0.2.21",
    ip6: "2001:db8::21",
    labels: { app: "web" },
    ports: [{ name: "http", protocol: "TCP", port: 9001 }],
  },
  {
    host: "mon",
    ns: "ops",
    name: "mon",
    ip: "192.0.2.30",
    ip6: "2001:db8::30",
    labels: { app: "monitor" },
  },
];
const NAMESPACES = [
  { name: "prod", labels: { env: "prod" } },
  { name: "dev", labels: { env: "dev" } },
  { name: "ops", labels: { env: "ops", team: "ops" } },
];

type Probe = { kind: "tcp" | "udp"; port: number } | { kind: "icmp" };
const PROBES: Probe[] = [
  ...TCP_PORTS.map((port) => ({ kind: "tcp" as const, port })),
  ...UDP_PORTS.map((port) => ({ kind: "udp" as const, port })),
  { kind: "icmp" },
];
const FAMILIES = [4, 6] as const;
const probeName = (p: Probe) => (p.kind === "icmp" ? "icmp" : `${p.kind}/${p.port}`);

const baseResources = () => [
  ...NAMESPACES.map((n) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: n.name, labels: n.labels },
  })),
  ...PODS.map((p) => ({
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: { name: p.name, namespace: p.ns, labels: p.labels },
    spec: {
      ipNetworks: [`${p.ip}/32`, `${p.ip6}/128`],
      interfaceName: `w${p.host}`,
      ports: p.ports ?? [],
    },
  })),
];
const knp = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace: ns },
  spec,
});
const calico = (kind: string, name: string, spec: Record<string, unknown>, ns?: string) => ({
  apiVersion: "projectcalico.org/v3",
  kind,
  metadata: ns ? { name, namespace: ns } : { name },
  spec,
});
const ml = (labels: Record<string, string>) => ({ matchLabels: labels });

// The scenarios of the upstream network-policy e2e tests, and Calico's own.
const SCENARIOS: Record<string, unknown[]> = {
  "no policy": [],
  "k8s deny-all ingress in prod": [
    knp("prod", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }),
  ],
  "k8s allow from namespace": [
    knp("prod", "from-dev", {
      podSelector: ml({ app: "web" }),
      ingress: [{ from: [{ namespaceSelector: ml({ env: "dev" }) }] }],
    }),
  ],
  "k8s allow from pods (same namespace)": [
    knp("prod", "from-clients", {
      podSelector: ml({ app: "db" }),
      ingress: [{ from: [{ podSelector: ml({ app: "client" }) }] }],
    }),
  ],
  "k8s allow from pods in other namespaces": [
    knp("prod", "from-any-client", {
      podSelector: ml({ app: "db" }),
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: ml({ app: "client" }) }] }],
    }),
  ],
  "k8s ipBlock with except": [
    knp("prod", "ipblock", {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: "192.0.2.0/24", except: ["192.0.2.16/28"] } }] }],
    }),
  ],
  "k8s named ports and port ranges": [
    knp("prod", "ports", {
      podSelector: ml({ app: "web" }),
      ingress: [
        { ports: [{ port: "http" }, { port: 5000, endPort: 5500 }, { protocol: "UDP", port: 53 }] },
      ],
    }),
    knp("dev", "named", { podSelector: {}, ingress: [{ ports: [{ port: "http" }] }] }),
  ],
  "k8s egress deny with exceptions": [
    knp("dev", "egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: ml({ env: "prod" }), podSelector: ml({ app: "db" }) }],
          ports: [{ port: 5432 }],
        },
        { ports: [{ protocol: "UDP", port: 53 }] },
      ],
    }),
  ],
  "calico tiers and Pass": [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "Tier",
      metadata: { name: "security" },
      spec: { order: 100 },
    },
    calico("GlobalNetworkPolicy", "security.block-dev", {
      tier: "security",
      order: 1,
      selector: "all()",
      ingress: [
        { action: "Deny", source: { namespaceSelector: 'env == "dev"' } },
        { action: "Pass", protocol: "TCP" },
        { action: "Allow", protocol: "UDP" },
      ],
    }),
    knp("prod", "web-80-only", {
      podSelector: ml({ app: "web" }),
      ingress: [{ ports: [{ port: 80 }] }],
    }),
  ],
  "calico Deny before Allow by order": [
    calico(
      "NetworkPolicy",
      "allow-all",
      { order: 200, selector: "all()", ingress: [{ action: "Allow" }] },
      "prod",
    ),
    calico(
      "NetworkPolicy",
      "deny-tcp-5432",
      {
        order: 100,
        selector: "all()",
        ingress: [{ action: "Deny", protocol: "TCP", destination: { ports: [5432] } }],
      },
      "prod",
    ),
  ],
  "calico GlobalNetworkPolicy with namespaceSelector": [
    calico("GlobalNetworkPolicy", "isolate-ops", {
      namespaceSelector: "has(team)",
      selector: "all()",
      types: ["Ingress", "Egress"],
      ingress: [{ action: "Allow", source: { namespaceSelector: 'env == "prod"' } }],
      egress: [{ action: "Allow", protocol: "ICMP" }],
    }),
  ],
  "calico tier defaultAction Pass, Log, and a GlobalNetworkPolicy deny": [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "Tier",
      metadata: { name: "audit" },
      spec: { order: 10, defaultAction: "Pass" },
    },
    calico("GlobalNetworkPolicy", "audit.log-and-block", {
      tier: "audit",
      selector: 'app == "db" || app == "web"',
      ingress: [
        { action: "Log" },
        { action: "Deny", protocol: "UDP", source: { namespaceSelector: 'env != "prod"' } },
      ],
    }),
    knp("dev", "web2-from-prod", {
      podSelector: ml({ app: "web" }),
      ingress: [{ from: [{ namespaceSelector: ml({ env: "prod" }) }] }],
    }),
  ],
  "dual stack: IPv6 ipBlock with except, ICMPv6 and ipVersion": [
    knp("dev", "v6-block", {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: "2001:db8::/64", except: ["2001:db8::10/124"] } }] }],
    }),
    calico("GlobalNetworkPolicy", "ping6-from-prod", {
      selector: 'app == "db" || app == "monitor"',
      ingress: [
        {
          action: "Allow",
          protocol: "ICMPv6",
          icmp: { type: 128 },
          source: { namespaceSelector: 'env == "prod"' },
        },
        { action: "Allow", ipVersion: 4, protocol: "TCP", destination: { ports: [80, 5432] } },
      ],
    }),
  ],
  "calico NetworkSets, notNets and notPorts": [
    {
      apiVersion: "projectcalico.org/v3",
      kind: "GlobalNetworkSet",
      metadata: { name: "dev-range", labels: { zone: "dev" } },
      spec: { nets: ["192.0.2.16/29"] },
    },
    calico("GlobalNetworkPolicy", "from-dev-zone", {
      selector: 'app == "web" || app == "db"',
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          source: { selector: 'zone == "dev"' },
          destination: { notPorts: [5432, "9000:9100"] },
        },
        { action: "Allow", source: { notNets: ["192.0.2.16/28", "192.0.2.30/32"] } },
      ],
    }),
  ],
};

// Scenarios whose expected tables are written by hand from Kubernetes
// NetworkPolicy semantics (kubernetes.io "Network Policies") and Calico's rule
// conversion (libcalico-go `updateprocessors/rules.go`) — not from the engine —
// so a bug the engine and the renderer share cannot hide. Each names, cell by
// cell, what is allowed; everything else must be denied, by the engine and by
// the kernel.
interface Cell {
  readonly src: PodSpec;
  readonly dst: PodSpec;
  readonly p: Probe;
}
const tcpTo = (c: Cell, port: number) => c.p.kind === "tcp" && c.p.port === port;
const HAND: Record<string, { resources: unknown[]; allowed: (c: Cell) => boolean }> = {
  // Pods in dev may only open TCP connections to a pod's port named "http",
  // in any namespace: web (prod) has http = 8080, web2 (dev) http = 9001.
  "k8s egress to a named port, no peer: every namespace": {
    resources: [
      knp("dev", "egress-http", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [{ ports: [{ port: "http" }] }],
      }),
    ],
    allowed: (c) =>
      c.src.ns !== "dev" ||
      (c.dst.name === "web" && tcpTo(c, 8080)) ||
      (c.dst.name === "web2" && tcpTo(c, 9001)),
  },
  // db admits every source in its own namespace (prod) except web; nothing
  // from other namespaces.
  "calico notSelector alone stays in the policy's namespace": {
    resources: [
      calico(
        "NetworkPolicy",
        "db-not-web",
        {
          selector: "app == 'db'",
          ingress: [{ action: "Allow", source: { notSelector: "app == 'web'" } }],
        },
        "prod",
      ),
    ],
    allowed: (c) => c.dst.name !== "db" || c.src.name === "cli",
  },
  // policyTypes [] with egress rules: Ingress and Egress. db takes traffic
  // only from prod's clients and sends only to prod's web pods.
  "k8s policyTypes [] with egress rules isolates both ways": {
    resources: [
      knp("prod", "db", {
        podSelector: ml({ app: "db" }),
        policyTypes: [],
        ingress: [{ from: [{ podSelector: ml({ app: "client" }) }] }],
        egress: [{ to: [{ podSelector: ml({ app: "web" }) }] }],
      }),
    ],
    allowed: (c) =>
      (c.dst.name !== "db" || c.src.name === "cli") &&
      (c.src.name !== "db" || c.dst.name === "web"),
  },
  // A Kubernetes and a Calico NetworkPolicy both named "web": both apply.
  "k8s and calico policies of the same name both apply": {
    resources: [
      knp("prod", "web", {
        podSelector: ml({ app: "web" }),
        ingress: [{ from: [{ podSelector: ml({ app: "client" }) }] }],
      }),
      calico(
        "NetworkPolicy",
        "web",
        {
          selector: "app == 'db'",
          ingress: [{ action: "Allow", source: { selector: "app == 'client'" } }],
        },
        "prod",
      ),
    ],
    allowed: (c) => !["web", "db"].includes(c.dst.name) || c.src.name === "cli",
  },
};

function handMatrix(allowed: (c: Cell) => boolean): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const src of PODS)
    for (const dst of PODS) {
      if (src === dst) continue;
      for (const f of FAMILIES)
        for (const p of PROBES)
          out.set(`${src.name} → ${dst.name} v${f} ${probeName(p)}`, allowed({ src, dst, p }));
    }
  return out;
}

// The scenarios run side by side on LANES copies of the topology (a node and
// its six pods each, per-run namespaces): a scenario's time is mostly waiting
// for the probes of denied cells to time out, and waits on separate copies
// overlap. Each copy has its own nft table, applier and conntrack, so no
// scenario sees another's rules or flows.
const LANES = 3;

/** One copy of the topology: pods, node, the node's shared applier. */
interface Lane {
  readonly topo: Topology;
  readonly node: Host;
  /** Each pod's agent socket, by pod name. */
  readonly agents: ReadonlyMap<string, string>;
  /**
   * Applies incrementally from whatever this lane applied last; replaced by a
   * fresh one (whose first apply is full) after a test changed the lane's
   * table with another applier.
   */
  shared: NftApplier;
  /** Probe rounds so far on this lane (fresh UDP source ports per round). */
  round: number;
}

describe.skipIf(skip)("nftables verdicts agree with the engine, cell for cell", () => {
  const tb = useTestbed();
  let dir: string;
  const lanes: Lane[] = [];
  const free: Lane[] = [];
  const waiting: ((l: Lane) => void)[] = [];
  let laneCount = 0;
  const applier = (lane: Lane) => new NftApplier(nftRunner({ netns: lane.node.netns }));

  /** Runs `f` on a lane no other test is using, waiting for one when all are busy. */
  async function onLane<T>(f: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = free.pop() ?? (await new Promise<Lane>((r) => waiting.push(r)));
    try {
      return await f(lane);
    } finally {
      const next = waiting.shift();
      if (next) next(lane);
      else free.push(lane);
    }
  }

  async function buildLane(): Promise<Lane> {
    const topo = await tb.topology({
      hosts: ["node", ...PODS.map((p) => p.host)],
      links: PODS.map((p) => ({
        a: { host: "node", ifname: `w${p.host}` },
        b: { host: p.host, ifname: "eth0", addrs: [`${p.ip}/32`, `${p.ip6}/128`] },
      })),
      routes: [
        ...PODS.flatMap((p) => [
          { host: p.host, to: "192.0.2.1/32", dev: "eth0" },
          { host: p.host, to: "2001:db8::1/128", dev: "eth0" },
          { host: p.host, to: "default", via: "2001:db8::1" },
          { host: "node", to: `${p.ip6}/128`, dev: `w${p.host}` },
          { host: p.host, to: "default", via: "192.0.2.1" },
          { host: "node", to: `${p.ip}/32`, dev: `w${p.host}` },
        ]),
      ],
    });
    const node = topo.host("node");
    // The pods' gateway: a node address they reach over ARP on their veth.
    await node.ip(["addr", "add", "192.0.2.1/32", "dev", "lo"]);
    // IPv6: the node answers neighbour solicitations for its gateway address on every veth.
    await node.ip(["addr", "add", "2001:db8::1/128", "dev", "lo"]);
    await node.exec(["sysctl", "-qw", "net.ipv6.conf.all.proxy_ndp=1"]);
    for (const p of PODS)
      await node.ip(["-6", "neigh", "add", "proxy", "2001:db8::1", "dev", `w${p.host}`]);
    // Neighbour discovery between a pod and the node is left to the kernel
    // on purpose: the host hooks must let it through whatever the pod's
    // policy (render.ts LINK_ICMPV6); a scenario that isolates a pod would
    // otherwise starve its neighbour entries and fail allowed IPv6 flows.
    const n = laneCount++;
    const agents = new Map(PODS.map((p) => [p.name, join(dir, `agent-${n}-${p.host}.sock`)]));
    const daemons = PODS.map((p) =>
      tb.track(
        new Daemon({
          label: `agent-${n}-${p.host}`,
          host: topo.host(p.host),
          argv: [
            "node",
            join(dir, "agent.cjs"),
            JSON.stringify([TCP_PORTS, UDP_PORTS]),
            agents.get(p.name)!,
          ],
        }),
      ),
    );
    await Promise.all(
      daemons.map((d) => d.waitFor(() => d.logs().includes("ready"), { what: "listening" })),
    );
    return {
      topo,
      node,
      agents,
      shared: new NftApplier(nftRunner({ netns: node.netns })),
      round: 0,
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tortie-truth-"));
    tb.defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "agent.cjs"), AGENT);
    lanes.push(...(await Promise.all(Array.from({ length: LANES }, () => buildLane()))));
    free.push(...lanes);
  });

  // UDP probes use source ports no earlier round on the lane used: a
  // conntrack entry left by an allowed flow of a previous scenario (UDP
  // entries live 30 s) would otherwise let a reused ephemeral port through as
  // "established".
  async function probeMatrix(
    lane: Lane,
    only: ReadonlySet<string> | undefined,
    timeoutMs: number,
  ): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const base = 20_000 + 100 * lane.round++;
    await Promise.all(
      PODS.map(async (src) => {
        const cells = PODS.filter((d) => d !== src)
          .flatMap((dst) => FAMILIES.flatMap((f) => PROBES.map((p) => ({ dst, p, f }))))
          .filter(
            (c) => !only || only.has(`${src.name} → ${c.dst.name} v${c.f} ${probeName(c.p)}`),
          );
        if (!cells.length) return;
        const probes = cells.map(({ dst, p, f }) => ({ ...p, dst: f === 4 ? dst.ip : dst.ip6 }));
        // The guard only catches a hung agent; the verdicts come from `timeoutMs`.
        const answer = await ask(
          lane.agents.get(src.name)!,
          { probes, T: timeoutMs, base },
          60_000 + timeoutMs,
        );
        if (!answer.trim()) throw new Error(`no answer from the agent in ${src.name}`);
        const res = JSON.parse(answer) as boolean[];
        cells.forEach((c, i) => {
          out.set(`${src.name} → ${c.dst.name} v${c.f} ${probeName(c.p)}`, res[i]!);
        });
      }),
    );
    return out;
  }

  /**
   * The kernel's verdict for every cell. A probe that got no answer is asked
   * once more, alone and with a longer wait: on a loaded machine (two cores
   * shared by several test runs) a pod's agent can be descheduled past its
   * timeout. A retry can only turn a lost answer into an answer — a dropped
   * packet stays dropped — so it cannot hide a wrong "allow".
   */
  async function kernelMatrix(lane: Lane): Promise<Map<string, boolean>> {
    const out = await probeMatrix(lane, undefined, 1500);
    const silent = new Set([...out].filter(([, v]) => !v).map(([k]) => k));
    if (silent.size) for (const [k, v] of await probeMatrix(lane, silent, 5000)) out.set(k, v);
    return out;
  }

  function engineMatrix(e: PolicyEngine): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const src of PODS)
      for (const dst of PODS) {
        if (src === dst) continue;
        for (const f of FAMILIES)
          for (const p of PROBES) {
            const [a, b] = f === 4 ? [src.ip, dst.ip] : [src.ip6!, dst.ip6!];
            const flow =
              p.kind === "icmp"
                ? f === 4
                  ? { src: a, dst: b, protocol: "ICMP", icmpType: 8, icmpCode: 0 }
                  : { src: a, dst: b, protocol: "ICMPv6", icmpType: 128, icmpCode: 0 }
                : { src: a, dst: b, protocol: p.kind.toUpperCase(), dstPort: p.port };
            out.set(
              `${src.name} → ${dst.name} v${f} ${probeName(p)}`,
              e.evaluate(flow, { trace: false }).verdict === "allow",
            );
          }
      }
    return out;
  }

  const diffs = (a: Map<string, boolean>, b: Map<string, boolean>) =>
    [...a]
      .filter(([k, v]) => b.get(k) !== v)
      .map(
        ([k, v]) => `${k}: engine ${v ? "allow" : "deny"}, kernel ${b.get(k) ? "allow" : "deny"}`,
      );

  for (const [name, resources] of Object.entries(SCENARIOS)) {
    it.concurrent(name, () =>
      onLane(async (lane) => {
        const engine = new PolicyEngine();
        engine.apply([...baseResources(), ...resources]);
        const rs = renderRuleset(engine, {});
        // Incremental from the previous scenario; a fresh full apply must give the same table.
        const res = await lane.shared.apply(rs);
        const want = engineMatrix(engine);
        const got = await kernelMatrix(lane);
        expect(diffs(want, got)).toEqual([]);
        expect(want.size).toBe(PODS.length * (PODS.length - 1) * PROBES.length * FAMILIES.length);
        if (name === "no policy") expect([...want.values()].every(Boolean)).toBe(true);
        else {
          expect([...want.values()].some((v) => !v)).toBe(true);
          expect([...want.values()].some((v) => v)).toBe(true);
        }
        expect(res.mode).not.toBe("none");
      }),
    );
  }

  for (const [name, { resources, allowed }] of Object.entries(HAND)) {
    it.concurrent(`by hand: ${name}`, () =>
      onLane(async (lane) => {
        const engine = new PolicyEngine();
        engine.apply([...baseResources(), ...resources]);
        await lane.shared.apply(renderRuleset(engine, {}));
        const want = handMatrix(allowed);
        expect([...want.values()].some((v) => !v)).toBe(true);
        expect([...want.values()].some((v) => v)).toBe(true);
        // The engine against the hand-written table, then the kernel against it.
        expect(diffs(engineMatrix(engine), want)).toEqual([]);
        expect(
          diffs(want, await kernelMatrix(lane)).map((d) => d.replace("engine", "by hand")),
        ).toEqual([]);
      }));
  }

  it.concurrent("label changes applied incrementally keep kernel and engine in agreement", () =>
    onLane(async (lane) => {
      const engine = new PolicyEngine();
      engine.apply([...baseResources(), ...SCENARIOS["k8s allow from pods in other namespaces"]!]);
      const renderer = new NftRenderer({});
      const a = lane.shared;
      await a.apply(renderer.render(engine));
      expect(diffs(engineMatrix(engine), await kernelMatrix(lane))).toEqual([]);
      // mon becomes a client (a pod label); dev's clients stop being clients.
      engine.apply([
        {
          apiVersion: "projectcalico.org/v3",
          kind: "WorkloadEndpoint",
          metadata: { name: "mon", namespace: "ops", labels: { app: "client" } },
          spec: { ipNetworks: ["192.0.2.30/32", "2001:db8::30/128"], interfaceName: "wmon" },
        },
        {
          apiVersion: "projectcalico.org/v3",
          kind: "WorkloadEndpoint",
          metadata: { name: "cli2", namespace: "dev", labels: { app: "tester" } },
          spec: { ipNetworks: ["192.0.2.20/32", "2001:db8::20/128"], interfaceName: "wcli2" },
        },
      ]);
      const res = await a.apply(renderer.render(engine));
      expect(res.mode).toBe("incremental");
      expect(res.rules).toBe(0); // only set elements and dispatch entries moved
      const want = engineMatrix(engine);
      expect(want.get("mon → db v4 tcp/5432")).toBe(true);
      expect(want.get("mon → db v6 tcp/5432")).toBe(true);
      expect(want.get("cli2 → db v4 tcp/5432")).toBe(false);
      expect(diffs(want, await kernelMatrix(lane))).toEqual([]);
    }));

  it.concurrent("an incremental apply leaves the same table as a full apply", () =>
    onLane(async (lane) => {
      const engine = new PolicyEngine();
      engine.apply([...baseResources(), ...SCENARIOS["k8s named ports and port ranges"]!]);
      const rs = renderRuleset(engine, {});
      await lane.shared.apply(rs);
      const incremental = (await lane.node.exec(["nft", "list", "table", "inet", "tortie"])).stdout;
      await applier(lane).apply(rs);
      const full = (await lane.node.exec(["nft", "list", "table", "inet", "tortie"])).stdout;
      const strip = (s: string) => s.replace(/counter packets \d+ bytes \d+/g, "counter");
      expect(strip(incremental).split("\n").sort()).toEqual(strip(full).split("\n").sort());
    }));

  it.concurrent("an applier whose table was changed behind its back resynchronises", () =>
    onLane(async (lane) => {
      const engine = new PolicyEngine();
      engine.apply([...baseResources(), ...SCENARIOS["calico Deny before Allow by order"]!]);
      const a = applier(lane);
      lane.shared = a;
      await a.apply(renderRuleset(engine, {}));
      await lane.node.exec(["nft", "delete", "table", "inet", "tortie"]);
      engine.apply([...SCENARIOS["k8s ipBlock with except"]!]);
      const res = await a.apply(renderRuleset(engine, {}));
      expect(res.mode).toBe("resync");
      expect(diffs(engineMatrix(engine), await kernelMatrix(lane))).toEqual([]);
    }));

  it.concurrent("a ruleset nft rejects changes nothing", () =>
    onLane(async (lane) => {
      const engine = new PolicyEngine();
      engine.apply([...baseResources(), ...SCENARIOS["k8s deny-all ingress in prod"]!]);
      const a = applier(lane);
      lane.shared = a;
      await a.apply(renderRuleset(engine, {}));
      const before = (await lane.node.exec(["nft", "list", "table", "inet", "tortie"])).stdout;
      const good = renderRuleset(engine, {});
      const applied = a.applied;
      const bad = {
        ...good,
        chains: new Map([...good.chains, ["broken", { rules: ["jump does-not-exist"] }]]),
      };
      await expect(a.apply(bad, { full: true })).rejects.toThrow(/nft -f failed/);
      expect((await lane.node.exec(["nft", "list", "table", "inet", "tortie"])).stdout).toBe(
        before,
      );
      expect(a.applied).toBe(applied);
      const got = await kernelMatrix(lane);
      expect(diffs(engineMatrix(engine), got)).toEqual([]);
    }));
});
