import { resolve } from "node:path";
import { defineConfig } from "tsup";
import {
  buildDefine,
  bundleOptions,
  DATASTORE_BUNDLE,
  datastoreAsSibling,
  installShim,
  newBuildId,
} from "./src/plugin/bundle.js";

// one id for the shim and the bundles of this build: a helper of another build never serves it
const BUILD = newBuildId();

// Executables are single-file ESM bundles (a CNI plugin starts once per call);
// workspace packages are bundled from their sources (their dist may not exist yet).
const bin = {
  outDir: "dist/bin",
  format: "esm" as const,
  sourcemap: false,
  target: "node20",
  tsconfig: "tsconfig.build.json",
  splitting: false,
  noExternal: [/^(?!(better-sqlite3|etcd3)$).*/],
  external: [...bundleOptions.external],
  banner: { js: bundleOptions.banner.js },
  outExtension: () => ({ js: ".mjs" }),
  esbuildOptions(o: { conditions?: string[] }) {
    o.conditions = ["source"];
  },
};

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // top-level files only: dist/bin belongs to the builds below, which run alongside
    clean: ["*.js", "*.cjs", "*.d.ts", "*.d.cts", "*.map"],
    target: "node20",
    tsconfig: "tsconfig.build.json",
  },
  {
    ...bin,
    entry: {
      "tortie-cni": "src/cli/tortie-cni.ts",
      tortie: "src/cli/tortie.ts",
      "tortie-unlink": "src/plugin/unlink-worker.ts",
    },
    esbuildPlugins: [datastoreAsSibling],
    define: buildDefine(BUILD),
    // the `tortie` executable is the bash shim (src/cli/tortie.sh) beside the bundle
    // with this build's id and the node that built it (runtimes may give no PATH)
    async onSuccess() {
      installShim("src/cli/tortie.sh", "dist/bin/tortie", { build: BUILD, node: process.execPath });
    },
    // koffi's native module is loaded on first use (src/plugin/koffi-lazy.ts)
    esbuildOptions(o: { conditions?: string[]; alias?: Record<string, string> }) {
      o.conditions = ["source"];
      o.alias = { koffi: resolve("src/plugin/koffi-lazy.ts") };
    },
  },
  {
    ...bin,
    entry: { [DATASTORE_BUNDLE.replace(/\.mjs$/, "")]: "src/plugin/store-client.ts" },
  },
]);
