// The command tree (commander) and the one place errors become exit codes.

import type { Datastore } from "@tortie/datastore";
import { Command, CommanderError, Option } from "commander";
import { bigipConfig } from "./commands/bigip.js";
import { completionScript } from "./commands/completion.js";
import {
  chooseDatastore,
  type DatastoreFlags,
  describeDatastore,
  openDatastore,
} from "./datastore.js";
import { CommandError, UsageError } from "./errors.js";

/** tortiectl's version (the example's package version). */
export const VERSION = "0.0.0";

/** Where a run writes and which environment it sees. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
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
    .option("--store-path <file>", "the embedded store's file (env TORTIE_STORE_PATH)")
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
      ...(o.storePath ? { storePath: o.storePath } : {}),
    };
  };

  program
    .command("version")
    .description("print the client version and the datastore in use")
    .addHelpText("after", "\nExample:\n  tortiectl version")
    .action(() => {
      const choice = chooseDatastore(flags(), io.env);
      io.stdout.write(
        `Client Version:    v${VERSION}\nDatastore:         ${describeDatastore(choice)}\n`,
      );
    });

  program
    .command("completion")
    .description("print a shell completion script")
    .argument("<shell>", "bash or zsh")
    .addHelpText("after", "\nExample:\n  source <(tortiectl completion bash)")
    .action((shell: string) => {
      io.stdout.write(completionScript(program, shell));
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
