// Command line of `tortie-cni`, a runtime for trying plugins by hand (the
// reference `cnitool` is not packaged by Debian). Pure: argv and environment
// in, a parsed command or a usage error out.

import { createHash } from "node:crypto";
import { type Env, ifnameProblem, parseCniArgs } from "../spec/env.js";

/** What `tortie-cni` can do. */
export const CLI_VERBS = ["add", "del", "check", "status", "gc", "version"] as const;

/** One of {@link CLI_VERBS}. */
export type CliVerb = (typeof CLI_VERBS)[number];

/** The usage text. */
export const USAGE = `usage: tortie-cni add|check|del <net> <netns>
       tortie-cni status <net>
       tortie-cni gc <net> [<containerID>:<ifname> …]
       tortie-cni version <plugin-type>

<net>    a configuration file (.conf/.conflist/.json) or the name of a network
         in NETCONFPATH
<netns>  a namespace name under /var/run/netns, or a path

environment:
  NETCONFPATH      configuration directories, ':'-separated (default /etc/cni/net.d)
  CNI_PATH         plugin directories (default /opt/cni/bin:/usr/lib/cni)
  CNI_IFNAME       interface in the container (default eth0)
  CNI_CONTAINERID  container id (default derived from <netns>)
  CNI_ARGS         extra arguments, "K=V;K2=V2"
  CAP_ARGS         capability arguments as JSON, e.g. {"portMappings":[…]}
  CNI_CACHE_DIR    where ADD results are kept for CHECK/DEL/GC (default /var/lib/cni/tortie-cni)
`;

/** A parsed command line. */
export interface CliCommand {
  readonly verb: CliVerb;
  /** The network file or name (the plugin type for `version`). */
  readonly net: string;
  /** The namespace path (add/check/del). */
  readonly netns: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly args: [string, string][];
  readonly capabilityArgs: Record<string, unknown>;
  readonly path: string[];
  readonly confDirs: string[];
  readonly cacheDir: string;
  /** gc: attachments given on the command line. */
  readonly extraAttachments: { containerID: string; ifname: string }[];
}

/** A bad command line: print the message and usage, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The namespace path for a name or path argument. */
export function netnsPath(arg: string): string {
  return arg.includes("/") ? arg : `/var/run/netns/${arg}`;
}

/** The container id used when CNI_CONTAINERID is not set: stable per namespace. */
export function defaultContainerId(netns: string): string {
  return `tortie-${createHash("sha256").update(netns).digest("hex").slice(0, 16)}`;
}

/** Parses argv (without node and script) and the environment. */
export function parseCli(argv: readonly string[], env: Env): CliCommand {
  const [verb, net, ...rest] = argv;
  if (!verb || !(CLI_VERBS as readonly string[]).includes(verb)) {
    throw new UsageError(verb ? `unknown command "${verb}"` : "missing command");
  }
  if (!net) throw new UsageError(`${verb}: missing <net>`);
  const attach = verb === "add" || verb === "del" || verb === "check";
  if (attach && rest.length !== 1) throw new UsageError(`${verb}: want <net> <netns>`);
  if ((verb === "status" || verb === "version") && rest.length !== 0) {
    throw new UsageError(`${verb}: too many arguments`);
  }
  const netns = attach ? netnsPath(rest[0]!) : "";
  const ifname = env.CNI_IFNAME || "eth0";
  const bad = ifnameProblem(ifname);
  if (bad) throw new UsageError(`CNI_IFNAME ${bad}`);
  let capabilityArgs: Record<string, unknown> = {};
  if (env.CAP_ARGS) {
    try {
      capabilityArgs = JSON.parse(env.CAP_ARGS) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`CAP_ARGS is not JSON: ${(e as Error).message}`);
    }
    if (
      typeof capabilityArgs !== "object" ||
      capabilityArgs === null ||
      Array.isArray(capabilityArgs)
    )
      throw new UsageError("CAP_ARGS must be a JSON object");
  }
  const extraAttachments =
    verb === "gc"
      ? rest.map((a) => {
          const i = a.lastIndexOf(":");
          if (i <= 0 || i === a.length - 1)
            throw new UsageError(`gc: "${a}" is not <containerID>:<ifname>`);
          return { containerID: a.slice(0, i), ifname: a.slice(i + 1) };
        })
      : [];
  let args: [string, string][];
  try {
    args = parseCniArgs(env.CNI_ARGS ?? "");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const split = (v: string | undefined, d: string) => (v || d).split(":").filter(Boolean);
  return {
    verb: verb as CliVerb,
    net,
    netns,
    containerId: env.CNI_CONTAINERID || (attach ? defaultContainerId(netns) : ""),
    ifname,
    args,
    capabilityArgs,
    path: split(env.CNI_PATH, "/opt/cni/bin:/usr/lib/cni"),
    confDirs: split(env.NETCONFPATH, "/etc/cni/net.d"),
    cacheDir: env.CNI_CACHE_DIR || "/var/lib/cni/tortie-cni",
    extraAttachments,
  };
}
