// `tortie-cni`: runs a network configuration against a namespace the way a
// container runtime does (SPEC.md section 3), keeping ADD results in a cache
// so that CHECK, DEL and GC get the prevResult and attachment list they need.

import { createRuntime } from "../runtime/exec.js";
import type { AttachmentParams } from "../runtime/runtime.js";
import type { Env } from "../spec/env.js";
import { toCniError } from "../spec/errors.js";
import { type CliCommand, parseCli, USAGE, UsageError } from "./args.js";
import { type CachedAttachment, loadNetwork, ResultCache } from "./store.js";

/**
 * CHECK and DEL must get the same parameters as the ADD (SPEC.md section 2):
 * arguments not given now are taken from the cached ADD.
 */
function withCached(att: AttachmentParams, c: CachedAttachment | undefined): AttachmentParams {
  if (!c) return att;
  return {
    ...att,
    args: att.args?.length ? att.args : (c.args ?? []),
    capabilityArgs:
      att.capabilityArgs && Object.keys(att.capabilityArgs).length > 0
        ? att.capabilityArgs
        : (c.capabilityArgs ?? {}),
  };
}

/** Where the CLI writes. */
export interface CliIO {
  readonly stdout: (t: string) => void;
  readonly stderr: (t: string) => void;
}

/** Runs one command; returns the exit code (0 ok, 1 CNI error, 2 usage). */
export async function cliMain(argv: readonly string[], env: Env, io: CliIO): Promise<number> {
  let cmd: CliCommand;
  try {
    cmd = parseCli(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tortie-cni: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  const rt = createRuntime(cmd.path, { onStderr: io.stderr });
  const cache = new ResultCache(cmd.cacheDir);
  try {
    if (cmd.verb === "version") {
      io.stdout(`${JSON.stringify(await rt.version(cmd.net))}\n`);
      return 0;
    }
    const list = loadNetwork(cmd.net, cmd.confDirs);
    const att = {
      containerId: cmd.containerId,
      netns: cmd.netns,
      ifname: cmd.ifname,
      args: cmd.args,
      capabilityArgs: cmd.capabilityArgs,
    };
    switch (cmd.verb) {
      case "add": {
        const out = await rt.add(list, att);
        cache.put({
          network: list.name,
          containerId: att.containerId,
          ifname: att.ifname,
          netns: att.netns,
          result: out.json,
          args: att.args,
          capabilityArgs: att.capabilityArgs,
        });
        io.stdout(`${JSON.stringify(out.json, null, 2)}\n`);
        return 0;
      }
      case "check": {
        const c = cache.get(list.name, att.containerId, att.ifname);
        await rt.check(list, withCached(att, c), c?.result);
        return 0;
      }
      case "del": {
        const c = cache.get(list.name, att.containerId, att.ifname);
        await rt.del(list, withCached(att, c), c?.result);
        cache.delete(list.name, att.containerId, att.ifname);
        return 0;
      }
      case "status":
        await rt.status(list);
        return 0;
      case "gc": {
        const valid = [
          ...cache.list(list.name).map((a) => ({ containerID: a.containerId, ifname: a.ifname })),
          ...cmd.extraAttachments,
        ];
        await rt.gc(list, valid);
        return 0;
      }
    }
  } catch (e) {
    const err = toCniError(e);
    io.stderr(`${JSON.stringify(err.toJSON())}\n`);
    return 1;
  }
}
