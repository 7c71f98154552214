import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    tsconfig: "tsconfig.build.json",
  },
  {
    // The daemon: ESM only, with a shebang, not part of the library's types.
    entry: { "cli/tortie-bgp": "src/cli/tortie-bgp.ts" },
    format: ["esm"],
    sourcemap: true,
    target: "node20",
    tsconfig: "tsconfig.build.json",
    banner: { js: "#!/usr/bin/env node" },
  },
]);
