// The I/O edge of the runtime: finding plugin executables in CNI_PATH and
// starting them as processes (SPEC.md section 2: parameters in the
// environment, configuration on stdin, result on stdout).

import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { CniError } from "../spec/errors.js";
import type { ExecOutput, ExecRequest, PluginExecutor, PluginLocator } from "./invoke.js";
import { CniRuntime } from "./runtime.js";

/** Code for "plugin executable not found" (libcni reports it as an internal error). */
export const PLUGIN_NOT_FOUND_CODE = 999;

/** Finds `type` in the directories of `path` (the first executable file wins). */
export const locatePlugin: PluginLocator = (type, path) => {
  if (type.includes("/") || type.includes("\\")) {
    throw new CniError(7, `invalid plugin type "${type}"`);
  }
  for (const dir of path) {
    const p = join(dir, type);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next directory
    }
  }
  throw new CniError(
    PLUGIN_NOT_FOUND_CODE,
    `failed to find plugin "${type}" in path [${path.join(" ")}]`,
  );
};

/** Options of {@link spawnExecutor}. */
export interface SpawnOptions {
  /**
   * Words put before the plugin path, e.g. `["ip", "netns", "exec", "node1"]`
   * to run plugins inside another network namespace than the caller's.
   */
  readonly prefix?: readonly string[];
  /** Base environment (default process.env); its CNI_* variables are dropped. */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Kill the plugin after this many milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /** Receives the plugin's stderr (default: collected only). */
  readonly onStderr?: (text: string) => void;
}

/** An executor that starts plugins as child processes. */
export function spawnExecutor(opts: SpawnOptions = {}): PluginExecutor {
  return (req: ExecRequest) =>
    new Promise<ExecOutput>((resolve, reject) => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.baseEnv ?? process.env)) {
        if (v !== undefined && !k.startsWith("CNI_")) env[k] = v;
      }
      Object.assign(env, req.env);
      const argv = [...(opts.prefix ?? []), req.pluginPath];
      const child = spawn(argv[0]!, argv.slice(1), {
        env,
        stdio: ["pipe", "pipe", "pipe"],
        timeout: opts.timeoutMs ?? 60_000,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => {
        err.push(b);
        opts.onStderr?.(b.toString("utf8"));
      });
      child.on("error", (e) =>
        reject(new CniError(5, `cannot start plugin ${req.pluginPath}`, e.message)),
      );
      child.on("close", (code, signal) =>
        resolve({
          exitCode: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        }),
      );
      child.stdin.on("error", () => {
        // the plugin may exit without reading stdin (VERSION)
      });
      child.stdin.end(req.stdin);
    });
}

/** A runtime that finds plugins in `path` and runs them as processes. */
export function createRuntime(path: readonly string[], opts: SpawnOptions = {}): CniRuntime {
  return new CniRuntime({ path, exec: spawnExecutor(opts), locate: locatePlugin });
}
