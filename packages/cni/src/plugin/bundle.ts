// Building the plugin as one file (esbuild): the form it is installed in,
// since a CNI plugin is started once per call and Node's start-up is most of
// its latency. Native and heavy modules stay external and are loaded from
// node_modules: koffi (rtnetlink syscalls), better-sqlite3 and etcd3 (only
// when a datastore is configured). The datastore and IPAM clients (with
// full zod and yaml) are a second file, `tortie-store.mjs`, imported only when
// a configuration names a datastore or Tortie IPAM, so the common path parses ~10× less.

import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import type { Plugin } from "esbuild";

/**
 * Modules left out of the bundles. koffi is not bundled either: it is
 * aliased to `koffi-lazy.ts`, which requires it at first use.
 */
export const BUNDLE_EXTERNALS = ["better-sqlite3", "etcd3"] as const;

/** The file name of the store bundle (datastore backends, IPAM), beside the plugin's. */
export const DATASTORE_BUNDLE = "tortie-store.mjs";

/** esbuild options shared by the package build and the tests. */
export const bundleOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: [...BUNDLE_EXTERNALS],
  banner: {
    js: "import { createRequire as __tortieRequire } from 'node:module'; const require = __tortieRequire(import.meta.url);",
  },
  legalComments: "none",
} as const;

/** Turns `import("./store-client.js")` into an import of the sibling store bundle. */
export const datastoreAsSibling: Plugin = {
  name: "tortie-store-sibling",
  setup(b) {
    b.onResolve({ filter: /\/store-client\.js$/ }, (args) =>
      args.kind === "dynamic-import"
        ? { path: `./${DATASTORE_BUNDLE}`, external: true }
        : undefined,
    );
  },
};

/** A fresh build id: the shim and the bundles of one build carry the same one. */
export function newBuildId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** esbuild `define` that gives a bundle its build id (see helper.ts BUILD_ID). */
export const buildDefine = (build: string) => ({ __TORTIE_BUILD__: JSON.stringify(build) });

/**
 * Writes the bash shim `src/cli/tortie.sh` to `dest` (0755) with its build
 * id and the absolute path of node recorded: a runtime may call the plugin
 * with no PATH at all.
 */
export function installShim(src: string, dest: string, o: { build: string; node: string }): void {
  const text = readFileSync(src, "utf8")
    .replace("build='@BUILD@'", `build='${o.build}'`)
    .replace("node_bin='@NODE@'", `node_bin='${o.node.replace(/'/g, "")}'`);
  writeFileSync(dest, text, { mode: 0o755 });
  chmodSync(dest, 0o755);
}
