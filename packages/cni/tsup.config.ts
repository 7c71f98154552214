import { defineConfig } from "tsup";
import { bundleOptions } from "./src/plugin/bundle.js";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // top-level files only: dist/bin belongs to the second build, which runs alongside
    clean: ["*.js", "*.cjs", "*.d.ts", "*.d.cts", "*.map"],
    target: "node20",
    tsconfig: "tsconfig.build.json",
  },
  {
    // executables: single-file ESM bundles (a CNI plugin starts once per call)
    entry: { "tortie-cni": "src/cli/tortie-cni.ts", tortie: "src/cli/tortie.ts" },
    outDir: "dist/bin",
    format: ["esm"],
    sourcemap: false,
    clean: true,
    target: "node20",
    tsconfig: "tsconfig.build.json",
    splitting: false,
    noExternal: [/^(?!(koffi|better-sqlite3|etcd3)$).*/],
    external: [...bundleOptions.external],
    banner: { js: bundleOptions.banner.js },
    // bundle the workspace packages from their sources (their dist may not be built yet)
    esbuildOptions(o) {
      o.conditions = ["source"];
    },
  },
]);
