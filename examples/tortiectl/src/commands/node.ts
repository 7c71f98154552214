// `tortiectl node status` and `node diags`.
//
// status: the node agent writes a CalicoNodeStatus-style record to the
// datastore every few seconds; tortiectl prints it as `calicoctl node status`
// does (a table of BGP peers: address, type, state, since, info), with the
// routes each session carries in and out — for any node, from anywhere the
// datastore is reachable. A record older than a minute says so: the agent
// has stopped reporting.
//
// diags: a tarball for a support ticket — the status record, the node's
// blocks and allocations, its kernel routes, addresses, links, neighbours and
// nftables ruleset (from the node's network namespace when given).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { NODE_STATUS_PREFIX, type NodeStatusRecord, parseNodeStatusRecord } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import { CommandError, UsageError } from "../errors.js";
import { boxTable } from "../table.js";
import type { Out } from "./resources.js";

const run = promisify(execFile);

/** The record agents write, its sessions and where it is kept: `@tortie/api`'s. */
export { NODE_STATUS_PREFIX, type NodeStatusPeer, type NodeStatusRecord } from "@tortie/api";

/** A record older than this means the agent stopped reporting. */
const STALE_MS = 60_000;

async function readRecord(store: Datastore, node: string): Promise<NodeStatusRecord> {
  const kv = await store.get(`${NODE_STATUS_PREFIX}${node}`);
  if (!kv) {
    const known = (await store.list(NODE_STATUS_PREFIX, { keysOnly: true })).kvs.map((k) =>
      k.key.slice(NODE_STATUS_PREFIX.length),
    );
    throw new CommandError(
      `no status from node ${node} (is tortie-node running there?)${known.length ? `; nodes reporting: ${known.join(", ")}` : ""}`,
    );
  }
  return parseNodeStatusRecord(JSON.parse(kv.value), kv.key);
}

/** The calicoctl-style text of a record. */
export function formatStatus(s: NodeStatusRecord, now: number): string {
  const age = now - Date.parse(s.updated);
  const lines: string[] = [];
  if (age > STALE_MS) {
    lines.push(
      `Tortie agent on ${s.node} has not reported for ${Math.round(age / 1000)} s (last report ${s.updated}); what follows is that report.`,
    );
  } else {
    lines.push(
      `Tortie agent on ${s.node} is running${s.agent.ready ? "" : " but NOT READY"} (datastore ${s.agent.datastore}).`,
    );
  }
  lines.push(`AS ${s.bgp.asn ?? "?"}, router ID ${s.bgp.routerId ?? "?"}`, "");
  for (const fam of [4, 6] as const) {
    const peers = s.bgp.peers.filter((p) => (p.address.includes(":") ? 6 : 4) === fam);
    lines.push(`IPv${fam} BGP status`);
    if (peers.length === 0) {
      lines.push(`No IPv${fam} peers found.`, "");
      continue;
    }
    const rows = peers.map((p) => [
      p.address,
      peerType(p.source),
      p.state === "Established" ? "up" : "start",
      new Date(p.since).toISOString().slice(11, 19),
      String(p.received),
      String(p.advertised),
      p.state === "Established"
        ? "Established"
        : `${p.state}${p.lastError ? ` ${p.lastError}` : ""}`,
    ]);
    lines.push(
      boxTable(
        ["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "ROUTES IN", "ROUTES OUT", "INFO"],
        rows,
        new Set([4, 5]),
      ),
    );
  }
  lines.push(
    `Blocks: ${s.routes.blocks.join(", ") || "none"}; workload routes: ${s.routes.workloads}; learned routes installed: ${s.routes.learned}`,
  );
  if (s.issues?.length) {
    lines.push("", "Configuration problems (the last good configuration is in use):");
    for (const i of s.issues) lines.push(`  ${i.resource}: ${i.path || "(value)"}: ${i.message}`);
  }
  return `${lines.join("\n")}\n`;
}

function peerType(source: string): string {
  if (source === "mesh") return "node-to-node mesh";
  if (source.startsWith("BGPPeer/")) return `global ${source.slice("BGPPeer/".length)}`;
  return source;
}

/** `node status [--node NAME] [-o json]`. */
export async function nodeStatus(
  store: Datastore,
  o: { node?: string; output?: string },
  env: Readonly<Record<string, string | undefined>>,
  out: Out,
  now = Date.now(),
): Promise<boolean> {
  const node = o.node ?? env.NODENAME ?? hostname();
  const rec = await readRecord(store, node);
  if (o.output === "json") out.stdout.write(`${JSON.stringify(rec, null, 2)}\n`);
  else if (o.output === undefined) out.stdout.write(formatStatus(rec, now));
  else throw new UsageError(`-o must be json, not ${o.output}`);
  return (
    now - Date.parse(rec.updated) <= STALE_MS &&
    rec.agent.ready &&
    rec.bgp.peers.every((p) => p.state === "Established")
  );
}

/** `node diags [--node NAME] [--netns NAME] [--output-dir DIR]`: writes a tarball, returns its path. */
export async function nodeDiags(
  store: Datastore,
  o: { node?: string; netns?: string; outputDir?: string },
  env: Readonly<Record<string, string | undefined>>,
  out: Out,
): Promise<string> {
  const node = o.node ?? env.NODENAME ?? hostname();
  if (o.netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(o.netns))
    throw new UsageError(`--netns ${JSON.stringify(o.netns)} is not a namespace name`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const name = `tortie-diags-${node}-${stamp}`;
  const work = mkdtempSync(join(tmpdir(), "tortie-diags-"));
  const dir = join(work, name);
  const notes: string[] = [];
  try {
    await run("mkdir", ["-p", dir]);
    const save = (file: string, text: string) => writeFileSync(join(dir, file), text);
    // The agent's own view.
    try {
      save("status.json", `${JSON.stringify(await readRecord(store, node), null, 2)}\n`);
    } catch (e) {
      notes.push(`status: ${(e as Error).message}`);
    }
    // IPAM: the node's blocks and who holds each address in them.
    const blocks = (await new Ipam({ store }).listBlocks()).filter(
      (b) => b.affinity === `host:${node}`,
    );
    save("ipam-blocks.json", `${JSON.stringify(blocks, null, 2)}\n`);
    // The kernel, as the node sees it.
    const ns = o.netns ? ["ip", "netns", "exec", o.netns] : [];
    const commands: [string, string[]][] = [
      ["routes.json", ["ip", "-j", "route", "show", "table", "all"]],
      ["routes6.json", ["ip", "-j", "-6", "route", "show", "table", "all"]],
      ["addresses.json", ["ip", "-j", "address", "show"]],
      ["links.json", ["ip", "-j", "-d", "link", "show"]],
      ["neighbours.json", ["ip", "-j", "neigh", "show"]],
      ["nftables.txt", ["nft", "list", "ruleset"]],
      ["sysctl.txt", ["sysctl", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]],
    ];
    for (const [file, argv] of commands) {
      const full = [...ns, ...argv];
      try {
        const r = await run(full[0]!, full.slice(1), { maxBuffer: 64 * 1024 * 1024 });
        save(file, r.stdout);
      } catch (e) {
        notes.push(`${argv.join(" ")}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    save(
      "README.txt",
      `tortiectl node diags for node ${node}${o.netns ? ` (network namespace ${o.netns})` : ""}, ${new Date().toISOString()}\n${notes.length ? `\nNot collected:\n${notes.map((n) => `  ${n}`).join("\n")}\n` : ""}`,
    );
    const tarball = resolve(o.outputDir ?? ".", `${name}.tar.gz`);
    await run("tar", ["-czf", tarball, "-C", work, name]);
    out.stdout.write(
      `Diagnostics for ${node} written to ${tarball}${notes.length ? ` (${notes.length} item(s) not collected; see README.txt)` : ""}\n`,
    );
    return tarball;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
