// The command tree (commander) and the one place errors become exit codes.

import { readFileSync } from "node:fs";
import { CALICO_API, ResourceClient } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { Command, CommanderError, Option } from "commander";
import { bigipConfig } from "./commands/bigip.js";
import { completionScript } from "./commands/completion.js";
import { dashboardCommand, listenAddress } from "./commands/dashboard.js";
import { graphCommand } from "./commands/graph.js";
import { ipamCheck, ipamConfigure, ipamRelease, ipamShow, ipamSplit } from "./commands/ipam.js";
import { nodeDiags, nodeStatus } from "./commands/node.js";
import { policyExplain } from "./commands/policy.js";
import {
  deleteByName,
  getResources,
  labelResource,
  type Out,
  patchResource,
  readSources,
  writeResources,
} from "./commands/resources.js";
import {
  chooseDatastore,
  type DatastoreFlags,
  describeDatastore,
  openDatastore,
} from "./datastore.js";
import { CommandError, UsageError } from "./errors.js";

async function clusterVersion(store: Datastore): Promise<string> {
  const ci = (await new ResourceClient(store).get({
    apiVersion: CALICO_API,
    kind: "ClusterInformation",
    name: "default",
  })) as { spec: { calicoVersion?: string; clusterType?: string } } | undefined;
  if (!ci) return "unknown (no ClusterInformation in the datastore)";
  return `${ci.spec.calicoVersion ?? "unknown"}${ci.spec.clusterType ? ` (cluster type ${ci.spec.clusterType})` : ""}`;
}

/** tortiectl's version (the example's package version). */
export const VERSION = "0.0.0";

/** Where a run writes and which environment it sees. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** Progress lines only on a terminal. */
  readonly stderrIsTty?: boolean;
  /** Reads all of standard input (for `-f -`); the process's by default. */
  readonly readStdin?: () => string;
}

/** Runs `f` on the chosen store and closes it; `create` for commands that write. */
export type WithStore = <T>(
  flags: DatastoreFlags,
  f: (s: Datastore) => Promise<T>,
  opts?: { create: boolean },
) => Promise<T>;

/** Builds the command tree; `run` receives each action's work. */
export function buildProgram(io: CliIo, withStore: WithStore): Command {
  const program = new Command("tortiectl")
    .description(
      "Tortie's command line: Calico resources, IPAM, node status, policy explain, BIG-IP config",
    )
    .version(VERSION, "--version", "print the client version")
    .option("-c, --config <file>", "CalicoAPIConfig file (default /etc/tortie/tortiectl.cfg)")
    .addOption(new Option("--datastore-type <type>", "embedded or etcdv3 (env DATASTORE_TYPE)"))
    .option("--etcd-endpoints <urls>", "comma-separated etcd URLs (env ETCD_ENDPOINTS)")
    .option("--datastore-path <file>", "the embedded store's file (env TORTIE_DATASTORE_PATH)")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  const flags = (): DatastoreFlags => {
    const o = program.opts();
    return {
      ...(o.config ? { config: o.config } : {}),
      ...(o.datastoreType ? { datastoreType: o.datastoreType } : {}),
      ...(o.etcdEndpoints ? { etcdEndpoints: o.etcdEndpoints } : {}),
      ...(o.datastorePath ? { datastorePath: o.datastorePath } : {}),
    };
  };

  program
    .command("version")
    .description("print the client version, the datastore in use and the cluster's version")
    .addHelpText("after", "\nExample:\n  tortiectl version")
    .action(async () => {
      const choice = chooseDatastore(flags(), io.env);
      io.stdout.write(
        `Client Version:    v${VERSION}\nDatastore:         ${describeDatastore(choice)}\n`,
      );
      // The cluster's version, from ClusterInformation "default" when the store has one.
      const info = await withStore(flags(), (s) => clusterVersion(s)).catch(
        (e: Error) => `unknown (${e.message.split("\n")[0]})`,
      );
      io.stdout.write(`Cluster Version:   ${info}\n`);
    });

  program
    .command("completion")
    .description("print a shell completion script")
    .argument("<shell>", "bash or zsh")
    .addHelpText("after", "\nExample:\n  source <(tortiectl completion bash)")
    .action((shell: string) => {
      io.stdout.write(completionScript(program, shell));
    });

  const out: Out = {
    stdout: io.stdout,
    stderr: io.stderr,
    progress: io.stderrIsTty === true,
    readStdin: io.readStdin ?? (() => readFileSync(0, "utf8")),
  };
  const collect = (v: string, prev: string[] = []) => [...prev, v];

  for (const verb of ["apply", "create", "replace"] as const) {
    const what = { apply: "create or replace", create: "create", replace: "replace" }[verb];
    program
      .command(verb)
      .description(`${what} resources from files (Calico YAML as calicoctl takes it)`)
      .requiredOption(
        "-f, --filename <file|dir|->",
        "file, directory or - for stdin (repeatable)",
        collect,
      )
      .addHelpText(
        "after",
        `\nExamples:\n  tortiectl ${verb} -f ippool.yaml\n  tortiectl ${verb} -f lab/\n  cat x.yaml | tortiectl ${verb} -f -`,
      )
      .action(async (o: { filename: string[] }) => {
        const loaded = readSources(o.filename, out);
        await withStore(flags(), (s) => writeResources(s, verb, loaded, out), {
          create: verb !== "replace",
        });
      });
  }

  program
    .command("delete")
    .description("delete resources named in files, or KIND NAME…")
    .argument("[kind]", "resource kind (ippool, bgppeer, gnp, …)")
    .argument("[names...]", "resource names")
    .option("-f, --filename <file|dir|->", "file, directory or - for stdin (repeatable)", collect)
    .option("-n, --namespace <ns>", "namespace of namespaced kinds", "default")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl delete -f ippool.yaml\n  tortiectl delete ippool pool-1",
    )
    .action(
      async (
        kind: string | undefined,
        names: string[],
        o: { filename?: string[]; namespace: string },
      ) => {
        if (o.filename) {
          if (kind) throw new UsageError("delete: give either -f or KIND NAME, not both");
          const loaded = readSources(o.filename, out);
          await withStore(flags(), (s) => writeResources(s, "delete", loaded, out));
          return;
        }
        if (!kind || names.length === 0) throw new UsageError("delete: give -f FILE or KIND NAME");
        await withStore(flags(), (s) => deleteByName(s, kind, names, o.namespace, out));
      },
    );

  program
    .command("get")
    .description("show resources")
    .argument("<kind>", "resource kind (ippool, bgppeer, node, gnp, networkpolicy, …)")
    .argument("[names...]", "resource names (all when none)")
    .option("-o, --output <format>", "ps, wide, yaml, json or custom-columns=HEADER:.path,…", "ps")
    .option("-n, --namespace <ns>", "namespace of namespaced kinds", "default")
    .option("-A, --all-namespaces", "every namespace")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl get ippools -o wide\n  tortiectl get bgppeer bigip -o yaml\n  tortiectl get nodes -o custom-columns=NAME:.metadata.name,IP:.spec.bgp.ipv4Address",
    )
    .action(async (kind: string, names: string[], o) => {
      await withStore(flags(), (s) => getResources(s, kind, names, o, out));
    });

  program
    .command("patch")
    .description("change fields of a resource with a JSON merge patch (RFC 7386)")
    .argument("<kind>", "resource kind")
    .argument("<name>", "resource name")
    .requiredOption("-p, --patch <json>", 'the patch, e.g. \'{"spec":{"disabled":true}}\'')
    .option("-n, --namespace <ns>", "namespace of namespaced kinds", "default")
    .addHelpText(
      "after",
      '\nExample:\n  tortiectl patch ippool pool-1 -p \'{"spec":{"disabled":true}}\'',
    )
    .action(async (kind: string, name: string, o: { patch: string; namespace: string }) => {
      await withStore(flags(), (s) => patchResource(s, kind, name, o.patch, o.namespace, out));
    });

  program
    .command("label")
    .description("add, change or remove labels of a resource")
    .argument("<kind>", "resource kind")
    .argument("<name>", "resource name")
    .argument("<labels...>", "key=value, or key with --remove")
    .option("--overwrite", "replace a label that has another value")
    .option("--remove", "remove the named labels")
    .option("-n, --namespace <ns>", "namespace of namespaced kinds", "default")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl label nodes node1 rack=r1\n  tortiectl label nodes node1 rack --remove",
    )
    .action(async (kind: string, name: string, labels: string[], o) => {
      await withStore(flags(), (s) => labelResource(s, kind, name, labels, o, out));
    });

  const node = program
    .command("node")
    .description("the node agents: BGP sessions, routes, diagnostics");
  node
    .command("status")
    .description(
      "a node's BGP sessions and routes, as its agent last reported them (calicoctl node status)",
    )
    .option("--node <name>", "which node (default: NODENAME or this host's name)")
    .option("-o, --output <format>", "json for the whole record")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl node status --node node1\n  tortiectl node status -o json",
    )
    .action(async (o: { node?: string; output?: string }) => {
      const healthy = await withStore(flags(), (s) => nodeStatus(s, o, io.env, out));
      if (!healthy)
        throw new CommandError(
          "not every session is Established (or the agent is not reporting)",
          true,
        );
    });
  node
    .command("diags")
    .description(
      "a tarball of a node's status, IPAM blocks and kernel tables, for a support ticket",
    )
    .option("--node <name>", "which node (default: NODENAME or this host's name)")
    .option("--netns <name>", "read the kernel tables inside this network namespace")
    .option("--output-dir <dir>", "where to write the tarball", ".")
    .addHelpText("after", "\nExample:\n  tortiectl node diags --node node1")
    .action(async (o: { node?: string; netns?: string; outputDir?: string }) => {
      await withStore(flags(), (s) => nodeDiags(s, o, io.env, out));
    });

  const ipam = program.command("ipam").description("IP address management: pools, blocks, leaks");
  ipam
    .command("show")
    .description("pool and block usage, borrowed addresses, the configuration, or one address")
    .option("--show-blocks", "a row per block")
    .option("--show-borrowed", "addresses a node took from another node's block")
    .option("--show-configuration", "strictAffinity, autoAllocateBlocks, maxBlocksPerHost")
    .option("--ip <addr>", "who holds this address")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl ipam show --show-blocks\n  tortiectl ipam show --ip 198.51.100.5",
    )
    .action(async (o) => {
      await withStore(flags(), (s) => ipamShow(s, o, out));
    });
  ipam
    .command("check")
    .description(
      "find leaked addresses and inconsistent records (in-use addresses are never reported)",
    )
    .option("-o, --output <file>", "write the report as JSON, for 'ipam release --from-report'")
    .option(
      "--grace-period <seconds>",
      "how old a report must be before 'release --from-report' acts on it",
      "600",
    )
    .addHelpText("after", "\nExample:\n  tortiectl ipam check -o report.json")
    .action(async (o: { output?: string; gracePeriod: string }) => {
      const g = Number(o.gracePeriod);
      if (!Number.isFinite(g) || g < 0) throw new UsageError("--grace-period must be seconds ≥ 0");
      await withStore(flags(), (s) =>
        ipamCheck(
          s,
          { graceMs: g * 1000, ...(o.output ? { output: o.output } : {}) },
          out,
          Date.now(),
        ),
      );
    });
  ipam
    .command("release")
    .description("release addresses that no workload holds")
    .option("--ip <addr>", "an address (repeatable)", collect)
    .option("--from-report <file>", "release the leaks an 'ipam check -o' report found")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl ipam release --ip 198.51.100.7\n  tortiectl ipam release --from-report report.json",
    )
    .action(async (o: { ip?: string[]; fromReport?: string }) => {
      await withStore(flags(), (s) => ipamRelease(s, o, out));
    });
  ipam
    .command("configure")
    .description("IPAM settings (IPAMConfiguration)")
    .option("--strictaffinity <bool>", "true: never borrow addresses from another node's block")
    .option(
      "--max-blocks-per-host <n>",
      "blocks one node may hold per family (0: no limit of its own)",
    )
    .addHelpText("after", "\nExample:\n  tortiectl ipam configure --strictaffinity=true")
    .action(async (o) => {
      await withStore(flags(), (s) => ipamConfigure(s, o, out), { create: true });
    });
  ipam
    .command("split")
    .description("split a disabled IP pool into a power-of-two number of equal pools")
    .argument("<number>", "how many pools")
    .option("--cidr <cidr>", "the pool, by CIDR")
    .option("--name <name>", "the pool, by name")
    .addHelpText("after", "\nExample:\n  tortiectl ipam split --name default-ipv4-ippool 2")
    .action(async (parts: string, o: { cidr?: string; name?: string }) => {
      await withStore(flags(), (s) => ipamSplit(s, { ...o, parts }, out));
    });

  const policy = program
    .command("policy")
    .description("network policy: why a flow is allowed or denied");
  policy
    .command("explain")
    .description(
      "the policy engine's verdict on a flow, with the tier, policy and rule that decided",
    )
    .requiredOption("--from <pod|ip>", "source: a pod (ns/name or name in default) or an address")
    .requiredOption("--to <pod|ip>", "destination: a pod or an address")
    .option("--port <port[/proto]>", "destination port and protocol, e.g. 8080/TCP")
    .option("--protocol <proto>", "TCP, UDP, ICMP, … when --port has none", "TCP")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl policy explain --from default/client --to default/web --port 8080/TCP\n  tortiectl policy explain --from 203.0.113.10 --to 198.51.100.2 --port 80",
    )
    .action(async (o) => {
      const r = await withStore(flags(), (s) => policyExplain(s, o));
      io.stdout.write(r.text);
    });

  program
    .command("graph")
    .description("the routing picture (nodes, peers, sessions, blocks, pods) as SVG or DOT")
    .option("-o, --output <format>", "svg or dot", "svg")
    .option("--file <file>", "write to this file instead of stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl graph -o svg --file cluster.svg\n  tortiectl graph -o dot | dot -Tpng > cluster.png",
    )
    .action(async (o: { output: string; file?: string }) => {
      await withStore(flags(), (s) => graphCommand(s, o, out));
    });

  program
    .command("dashboard")
    .description("serve a live, read-only page of the routing picture (loopback only by default)")
    .option("--listen <host:port>", "where to listen", "127.0.0.1:9099")
    .option("--allow-remote", "allow a --listen address other than loopback (no authentication!)")
    .addHelpText(
      "after",
      "\nExample:\n  tortiectl dashboard --listen 127.0.0.1:9099   # then open http://127.0.0.1:9099/",
    )
    .action(async (o: { listen: string; allowRemote?: boolean }) => {
      listenAddress(o);
      await withStore(flags(), (s) => dashboardCommand(s, o, out));
    });

  const bigip = program
    .command("bigip")
    .description("the BIG-IP side of the cluster's BGP peering");
  bigip
    .command("config")
    .description(
      "print BIG-IP's BGP configuration (tmsh + imish), or FRR's equivalent, from the datastore",
    )
    .option("--format <format>", "tmsh (BIG-IP) or frr", "tmsh")
    .option("--peer <name|ip>", "the BGPPeer that is BIG-IP (needed when several have a peerIP)")
    .option("--peer-group <name>", "peer-group name on BIG-IP", "calico-k8s")
    .option("--password-file <file>", "TCP-MD5 secret, when the BGPPeer has a password")
    .option("--bfd", "add BFD")
    .option("--route-domain <id>", "BIG-IP route domain", "0")
    .addHelpText(
      "after",
      "\nExamples:\n  tortiectl bigip config                # paste into BIG-IP's bash, then imish\n  tortiectl bigip config --format frr   # the same peering for FRR's bgpd",
    )
    .action(async (o) => {
      io.stdout.write(await withStore(flags(), (s) => bigipConfig(s, o)));
    });

  return program;
}

/** Runs tortiectl with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const withStore: WithStore = async (flags, f, opts = { create: false }) => {
    const store = openDatastore(chooseDatastore(flags, io.env), opts);
    try {
      return await f(store);
    } finally {
      await store.close();
    }
  };
  const program = buildProgram(io, withStore);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (with a suggestion for typos).
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`tortiectl: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CommandError && e.quiet) return 1;
    const msg = e instanceof CommandError ? e.message : oneLine(e);
    io.stderr.write(`tortiectl: ${msg}\n`);
    return 1;
  }
}

function oneLine(e: unknown): string {
  const m =
    e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return m.split("\n")[0]!;
}
