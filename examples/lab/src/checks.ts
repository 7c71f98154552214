// What the lab shows, as checks with evidence: each returns a row of the
// summary table (what, ok, detail). The end-to-end test asserts the same rows.
import { createConnection } from "node:net";
import { join } from "node:path";
import type { Lab } from "./cluster.js";
import { BIGIP_IP, CLIENT_IP, POD_PORT, VIRTUAL_SERVER } from "./plan.js";

/** One row of the summary. */
export interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A node agent's status record (the fields the lab reads). */
export interface AgentStatus {
  readonly node: string;
  readonly agent: { readonly ready: boolean };
  readonly bgp: {
    readonly peers: readonly {
      address: string;
      state: string;
      received: number;
      advertised: number;
    }[];
  };
  readonly routes: {
    readonly blocks: readonly string[];
    readonly workloads: number;
    readonly learned: number;
  };
}

/** Asks a node's agent for its status over its control socket. */
export function agentStatus(socket: string): Promise<AgentStatus> {
  return new Promise((resolve, reject) => {
    let data = "";
    const s = createConnection(socket, () => s.write(`${JSON.stringify({ command: "status" })}\n`));
    s.setEncoding("utf8");
    s.setTimeout(3000, () => s.destroy(new Error(`${socket}: no answer`)));
    s.on("data", (d) => {
      data += d;
      const nl = data.indexOf("\n");
      if (nl >= 0) {
        s.end();
        try {
          const r = JSON.parse(data.slice(0, nl)) as {
            ok: boolean;
            status?: AgentStatus;
            error?: string;
          };
          if (r.ok && r.status) resolve(r.status);
          else reject(new Error(r.error ?? "no status"));
        } catch (e) {
          reject(e);
        }
      }
    });
    s.on("error", reject);
  });
}

/** The status of every node's agent. */
export async function allAgentStatus(lab: Lab): Promise<Map<string, AgentStatus | Error>> {
  const out = new Map<string, AgentStatus | Error>();
  for (const name of lab.nodes.keys()) {
    out.set(
      name,
      await agentStatus(join(lab.dir, name, "node.sock")).catch((e: unknown) =>
        e instanceof Error ? e : new Error(String(e)),
      ),
    );
  }
  return out;
}

/** Every check of the summary, in the order the lab shows them. */
export async function runChecks(lab: Lab): Promise<Check[]> {
  const checks: Check[] = [];
  const statuses = await allAgentStatus(lab);
  const names = [...lab.nodes.keys()];

  // 1. Sessions: the mesh between nodes, and each node with BIG-IP.
  for (const [name, st] of statuses) {
    if (st instanceof Error) {
      checks.push({ what: `${name}: BGP sessions`, ok: false, detail: st.message });
      continue;
    }
    const peers = st.bgp.peers;
    const down = peers.filter((p) => p.state !== "Established");
    const expected = names.length - 1 + 1; // other nodes + BIG-IP
    checks.push({
      what: `${name}: BGP sessions`,
      ok: down.length === 0 && peers.length === expected,
      detail: `${peers.length - down.length}/${expected} Established${down.length ? ` (not: ${down.map((p) => `${p.address} ${p.state}`).join(", ")})` : ""}`,
    });
  }
  const bigipPeers: string[] = [];
  for (const n of lab.nodes.values()) {
    const nb = await lab.bigip.neighbor(n.plan.ip).catch(() => undefined);
    if (nb?.bgpState === "Established") bigipPeers.push(n.plan.name);
  }
  checks.push({
    what: "BIG-IP: BGP sessions",
    ok: bigipPeers.length === names.length,
    detail: `${bigipPeers.length}/${names.length} nodes Established (peer-group calico-k8s)`,
  });

  // 2. BIG-IP's routes: each node's blocks via that node.
  const routes = await lab.bigip
    .routes("ipv4")
    .catch(() => ({}) as Record<string, { nexthops?: { ip: string }[] }[]>);
  for (const [name, st] of statuses) {
    if (st instanceof Error) continue;
    const ip = lab.nodes.get(name)!.plan.ip;
    const bad = st.routes.blocks.filter(
      (b) => !routes[b]?.some((p) => p.nexthops?.some((h) => h.ip === ip)),
    );
    checks.push({
      what: `BIG-IP: ${name}'s blocks`,
      ok: st.routes.blocks.length > 0 && bad.length === 0,
      detail:
        st.routes.blocks.length === 0
          ? "the node has no block"
          : `${st.routes.blocks.join(", ")} via ${ip}${bad.length ? ` — missing: ${bad.join(", ")}` : ""}`,
    });
  }

  // 3. The virtual server's pool: the pods' IPs.
  const members = await lab.poolMembers();
  const pool = await lab.haproxyPool().catch(() => ({}) as Record<string, string>);
  const poolOk =
    members.length > 0 &&
    members.every((m) => pool[m.name] === m.ip) &&
    Object.keys(pool).length === members.length;
  checks.push({
    what: `BIG-IP: virtual server ${VIRTUAL_SERVER.ip}:${VIRTUAL_SERVER.port} pool`,
    ok: poolOk,
    detail: members.map((m) => `${m.name} ${m.ip}`).join(", ") || "no members",
  });

  // 4. HTTP from the client through the virtual server reaches pods on every node.
  const answered = new Set<string>();
  for (let i = 0; i < members.length * 2; i++) {
    const a = await lab.httpFromClient().catch(() => "");
    if (a) answered.add(a);
  }
  const podsByNode = new Map<string, string[]>();
  for (const n of lab.nodes.values()) podsByNode.set(n.plan.name, [...n.pods.keys()]);
  const nodesReached = [...podsByNode]
    .filter(([, pods]) => pods.some((p) => answered.has(p)))
    .map(([n]) => n);
  checks.push({
    what: "client → virtual server → pods",
    ok: nodesReached.length === lab.nodes.size,
    detail: `answers from ${[...answered].sort().join(", ") || "nobody"}`,
  });

  // 5. Pod to pod across nodes goes node to node, not through BIG-IP.
  const list = [...lab.nodes.values()];
  const pairs =
    list.length < 2
      ? []
      : list.length === 2
        ? [[0, 1]]
        : list.map((_, i) => [i, (i + 1) % list.length]);
  for (const [i, j] of pairs) {
    const a = list[i!]!;
    const b = list[j!]!;
    const pa = [...a.pods.values()][0];
    const pb = [...b.pods.values()][0];
    if (!pa || !pb?.ip) continue;
    const via = await a.host
      .ipJson<{ gateway?: string }[]>(["route", "get", pb.ip])
      .then((r) => r[0]?.gateway ?? "")
      .catch(() => "");
    // Two routers (the two nodes) between the pods: TTL 3 arrives, and it
    // would not if BIG-IP were a third hop on the path.
    const ttl3 = await pa.host
      .exec(["ping", "-c", "1", "-W", "2", "-t", "3", pb.ip])
      .then(() => true)
      .catch(() => false);
    checks.push({
      what: `${pa.plan.name} → ${pb.plan.name} (${a.plan.name} → ${b.plan.name})`,
      ok: via === b.plan.ip && via !== BIGIP_IP && ttl3,
      detail: `${a.plan.name} routes ${pb.ip} via ${via || "?"}; ping with TTL 3 ${ttl3 ? "arrives (2 hops)" : "fails"}`,
    });
  }
  // 6. The denied flow: the client going around BIG-IP straight to a pod.
  const first = [...lab.nodes.values()][0];
  const pod = first ? [...first.pods.values()][0] : undefined;
  if (pod?.ip) {
    const direct = await lab.client
      .exec(["curl", "-s", "--max-time", "2", `http://${pod.ip}:${POD_PORT}/`], { timeoutMs: 4000 })
      .then(() => true)
      .catch(() => false);
    const explain = await lab
      .ctl([
        "policy",
        "explain",
        "--from",
        CLIENT_IP,
        "--to",
        `default/${pod.plan.name}`,
        "--port",
        `${POD_PORT}/TCP`,
      ])
      .catch((e: Error) => e.message);
    const why =
      explain.split("\n").find((l) => l.startsWith("ingress ")) ?? explain.split("\n")[0] ?? "";
    checks.push({
      what: `client → ${pod.plan.name} directly (policy)`,
      ok: !direct && /verdict: deny/.test(explain) && /web-from-bigip-only/.test(explain),
      detail: `${direct ? "ANSWERED" : "denied"}; tortiectl policy explain: ${why.replace(/^ingress \S+: /, "")}`,
    });
  }
  return checks;
}

/** The summary as a table. */
export function formatChecks(checks: readonly Check[]): string {
  const w = Math.max(...checks.map((c) => c.what.length));
  return checks
    .map((c) => `${c.ok ? "ok  " : "FAIL"}  ${c.what.padEnd(w)}  ${c.detail}`)
    .join("\n");
}
