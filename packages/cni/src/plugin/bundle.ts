// Building the plugin as one file (esbuild): the form it is installed in,
// since a CNI plugin is started once per call and Node's start-up is most of
// its latency. Native and heavy modules stay external and are loaded from
// node_modules: koffi (rtnetlink syscalls), better-sqlite3 and etcd3 (only
// when a datastore is configured).

/** Modules left out of the bundle. */
export const BUNDLE_EXTERNALS = ["koffi", "better-sqlite3", "etcd3"] as const;

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
