// Delegating to another plugin, typically IPAM (SPEC.md section 4): the
// delegate is found in CNI_PATH and run with the same environment and the
// same configuration the calling plugin received; its stderr goes to the
// caller's. On CHECK, DEL, GC and STATUS the delegate must run too; when a
// delegated ADD fails the caller should run DEL before failing.

import type { Env } from "../spec/env.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { parseResult, type Result } from "../spec/result.js";
import { locatePlugin, spawnExecutor } from "./exec.js";
import { invokePlugin, type PluginExecutor, type PluginLocator } from "./invoke.js";

/** What a delegation needs: the caller's request as it arrived. */
export interface DelegateRequest {
  /** The caller's environment. */
  readonly env: Env;
  /** The caller's stdin text. */
  readonly stdin: string;
  /** CNI_PATH entries. */
  readonly path: readonly string[];
}

/** Options of {@link delegate}. */
export interface DelegateOptions {
  /** Run this verb instead of the caller's CNI_COMMAND (e.g. DEL to undo a failed ADD). */
  readonly command?: string;
  readonly exec?: PluginExecutor;
  readonly locate?: PluginLocator;
}

const defaultExec = spawnExecutor({
  onStderr: (t) => {
    process.stderr.write(t);
  },
});

/**
 * Runs the delegated plugin `type`. For ADD returns its (abbreviated) result;
 * for the other verbs undefined. Failures are thrown as the delegate's CniError.
 */
export async function delegate(
  type: string,
  req: DelegateRequest,
  opts: DelegateOptions = {},
): Promise<Result | undefined> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.env))
    if (v !== undefined && k.startsWith("CNI_")) env[k] = v;
  const command = opts.command ?? env.CNI_COMMAND;
  if (command) env.CNI_COMMAND = command;
  const pluginPath = await (opts.locate ?? locatePlugin)(type, req.path);
  const out = await invokePlugin(opts.exec ?? defaultExec, { pluginPath, env, stdin: req.stdin });
  if (command !== "ADD") return undefined;
  if (out === undefined) {
    throw new CniError(ErrorCode.DecodingFailure, `delegated plugin "${type}" returned no result`);
  }
  const cfgVersion = (JSON.parse(req.stdin) as { cniVersion?: string }).cniVersion;
  return parseResult({ ...(cfgVersion ? { cniVersion: cfgVersion } : {}), ...(out as object) });
}
