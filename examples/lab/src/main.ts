// `bash scripts/lab.sh [up|status|down] [options]`: F5's Kubernetes + Calico +
// BIG-IP lab on this machine, on Tortie's node agent, CNI plugin and tortiectl.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { destroyNamespace } from "@tortie/testbed";
import { agentStatus, formatChecks, runChecks } from "./checks.js";
import { LAB_DIR, Lab } from "./cluster.js";
import { CLIENT_IP, MAX_NODES, VIRTUAL_SERVER } from "./plan.js";

const HELP = `usage: lab [up] [--nodes N] [--datastore embedded|etcd] [--once]
       lab status
       lab down

  up          build the lab and keep it running until Ctrl-C (the default)
  --nodes N   Kubernetes nodes, 1-${MAX_NODES} (default 3)
  --datastore embedded (SQLite, the default) or etcd
  --once      build, print the summary, remove everything and exit
              (exit status 0 when every check passed, 1 otherwise)
  status      the summary of a lab running in another terminal
  down        remove everything a lab left behind (namespaces, processes, files)

Needs root (network namespaces). Everything stays inside namespaces the lab
creates, on documentation addresses; 'lab down' removes it all.
`;

const STATE = join(LAB_DIR, "state.json");

interface State {
  readonly pid: number;
  readonly namespaces: readonly string[];
  readonly nodes: readonly string[];
}

function parse(argv: readonly string[]) {
  let cmd: "up" | "status" | "down" = "up";
  let nodes = 3;
  let datastore: "embedded" | "etcd" = "embedded";
  let once = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "up" || a === "status" || a === "down") cmd = a;
    else if (a === "--once") once = true;
    else if (a === "--nodes") nodes = Number(argv[++i]);
    else if (a === "--datastore") {
      const v = argv[++i];
      if (v !== "embedded" && v !== "etcd")
        throw new Error(`--datastore must be embedded or etcd, not ${v}`);
      datastore = v;
    } else if (a === "--help" || a === "-h") return { help: true as const };
    else throw new Error(`unknown argument ${a} (see --help)`);
  }
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    throw new Error(`--nodes must be 1-${MAX_NODES}`);
  return { help: false as const, cmd, nodes, datastore, once };
}

async function up(opts: {
  nodes: number;
  datastore: "embedded" | "etcd";
  once: boolean;
}): Promise<number> {
  if (existsSync(STATE)) {
    const st = JSON.parse(readFileSync(STATE, "utf8")) as State;
    if (alive(st.pid)) {
      console.error(
        `lab: a lab is already running (pid ${st.pid}); 'lab status' shows it, 'lab down' removes it`,
      );
      return 1;
    }
    down();
  }
  const t0 = Date.now();
  const lab = await Lab.up({
    nodes: opts.nodes,
    datastore: opts.datastore,
    log: (l) => console.log(`lab: ${l}`),
  });
  writeFileSync(
    STATE,
    JSON.stringify({
      pid: process.pid,
      namespaces: lab.topo.namespaces(),
      nodes: [...lab.nodes.keys()],
    } satisfies State),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("lab: stopping agents, BIG-IP and pods; removing namespaces and files");
    await lab.down();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  console.log(`lab: built in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const checks = await runChecks(lab);
  console.log(formatChecks(checks));
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`\n${checks.length - failed} passed, ${failed} failed`);
  if (opts.once) {
    await stop(failed === 0 ? 0 : 1);
    return failed === 0 ? 0 : 1;
  }
  console.log(`\nlab: running. Try, as root:
  ip netns exec ${lab.client.netns} curl http://${VIRTUAL_SERVER.ip}/      # the client (${CLIENT_IP}) through the virtual server
  bash scripts/lab.sh status                                   # the summary again
Ctrl-C stops the lab and removes everything.`);
  await new Promise(() => {});
  return 0;
}

async function status(): Promise<number> {
  if (!existsSync(STATE)) {
    console.error("lab: no lab is running ('bash scripts/lab.sh' starts one)");
    return 1;
  }
  const st = JSON.parse(readFileSync(STATE, "utf8")) as State;
  if (!alive(st.pid)) {
    console.error(`lab: the lab's process ${st.pid} is gone; 'lab down' removes what it left`);
    return 1;
  }
  let failed = 0;
  for (const n of st.nodes) {
    try {
      const s = await agentStatus(join(LAB_DIR, n, "node.sock"));
      const est = s.bgp.peers.filter((p) => p.state === "Established").length;
      console.log(
        `${n}: agent ${s.agent.ready ? "ready" : "NOT READY"}, BGP ${est}/${s.bgp.peers.length} Established, blocks ${s.routes.blocks.join(", ") || "none"}, ${s.routes.workloads} workloads, ${s.routes.learned} learned routes`,
      );
      if (!s.agent.ready || est !== s.bgp.peers.length) failed++;
    } catch (e) {
      console.log(`${n}: agent does not answer (${(e as Error).message})`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Removes every namespace, process and file a lab left. */
function down(): void {
  if (existsSync(STATE)) {
    const st = JSON.parse(readFileSync(STATE, "utf8")) as State;
    if (alive(st.pid) && st.pid !== process.pid) process.kill(st.pid, "SIGTERM");
    for (const ns of st.namespaces) destroyNamespace(ns);
  }
  rmSync(LAB_DIR, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let p: ReturnType<typeof parse>;
  try {
    p = parse(argv);
  } catch (e) {
    console.error(`lab: ${(e as Error).message}`);
    return 2;
  }
  if (p.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    console.error("lab: needs root (it creates network namespaces); run it with sudo");
    return 1;
  }
  if (p.cmd === "status") return status();
  if (p.cmd === "down") {
    down();
    console.log("lab: removed");
    return 0;
  }
  return up(p);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`lab: failed: ${(e as Error).message.split("\n")[0]}`);
    process.exitCode = 1;
  },
);
