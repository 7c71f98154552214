// Building the plugin as one file (esbuild): the form it is installed in,
// since a CNI plugin is started once per call and Node's start-up is most of
// its latency. Native and heavy modules stay external and are loaded from
// node_modules: koffi (rtnetlink syscalls), better-sqlite3 and etcd3 (only
// when a datastore is configured). The datastore and IPAM clients (with
// full zod and yaml) are a second file, `tortie-store.mjs`, imported only when
// a configuration names a datastore or Tortie IPAM, so the common path parses ~10× less.

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
