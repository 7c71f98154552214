import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url in the CJS build (the lazy load of etcd3 in backends/etcd.ts).
  shims: true,
  target: "node20",
  tsconfig: "tsconfig.build.json",
});
