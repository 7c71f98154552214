// Test support (not exported): builds the plugin bundle for integration
// tests and benchmarks, in a per-process folder under dist/ (so that its
// external modules resolve from the workspace's node_modules).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildDefine,
  bundleOptions,
  DATASTORE_BUNDLE,
  datastoreAsSibling,
  installShim,
  newBuildId,
} from "./bundle.js";
import { helperPid } from "./helper.js";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles `src/cli/tortie.ts` beside the `tortie` shim; returns their folder
 * and the build id. `into` rebuilds over an earlier build's folder (an upgrade).
 */
export async function buildPluginForTest(into?: string): Promise<{
  dir: string;
  file: string;
  build: string;
  remove(): void;
}> {
  const { build } = await import("esbuild");
  const id = newBuildId();
  const define = buildDefine(id);
  const dir =
    into ?? resolve(here, "../../dist", `test-bin-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "tortie.mjs");
  await build({
    ...bundleOptions,
    external: [...bundleOptions.external],
    entryPoints: [resolve(here, "../cli/tortie.ts")],
    outfile: file,
    define,
    conditions: ["source"],
    alias: { koffi: resolve(here, "koffi-lazy.ts") },
    plugins: [datastoreAsSibling],
    logLevel: "error",
  });
  await build({
    ...bundleOptions,
    external: [...bundleOptions.external],
    entryPoints: [resolve(here, "unlink-worker.ts")],
    outfile: join(dir, "tortie-unlink.mjs"),
    conditions: ["source"],
    alias: { koffi: resolve(here, "koffi-lazy.ts") },
    logLevel: "error",
  });
  await build({
    ...bundleOptions,
    external: [...bundleOptions.external],
    entryPoints: [resolve(here, "store-client.ts")],
    outfile: join(dir, DATASTORE_BUNDLE),
    conditions: ["source"],
    logLevel: "error",
  });
  // the executable is the bash shim, next to the bundle it falls back to
  installShim(resolve(here, "../cli/tortie.sh"), join(dir, "tortie"), {
    build: id,
    node: process.execPath,
  });
  return { dir, file, build: id, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether a resident helper has published its folder under `runDir`. */
export function helperUp(runDir: string): boolean {
  return (
    existsSync(runDir) &&
    readdirSync(runDir).some((d) => d.startsWith("net-") && existsSync(join(runDir, d, "pid")))
  );
}

/**
 * Kills every resident helper that published a folder under `runDir` and
 * waits until each has died (gone or a zombie). A live helper writes its
 * files again when they go missing, so removing `runDir` beside one can fail
 * with ENOTEMPTY: call this first.
 */
export async function stopHelpers(runDir: string): Promise<void> {
  const scopes = existsSync(runDir) ? readdirSync(runDir).filter((d) => d.startsWith("net-")) : [];
  const pids = scopes.map((s) => helperPid(runDir, s)).filter((p): p is number => p !== undefined);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const alive = (pid: number) => {
    try {
      // field 3 of /proc/<pid>/stat, after the parenthesised name
      return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 500 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 10));
  const left = pids.filter(alive);
  if (left.length) throw new Error(`helpers ${left.join(", ")} still alive 5 s after SIGKILL`);
}
