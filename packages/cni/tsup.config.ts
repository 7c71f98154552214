import { defineConfig } from "tsup";

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
    // command-line tools: single-file ESM bundles that start fast
    entry: { "tortie-cni": "src/cli/tortie-cni.ts" },
    outDir: "dist/bin",
    format: ["esm"],
    sourcemap: false,
    clean: true,
    target: "node20",
    tsconfig: "tsconfig.build.json",
    noExternal: [/.*/],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  },
]);
