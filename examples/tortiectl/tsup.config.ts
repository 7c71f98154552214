import { defineConfig } from "tsup";

// One ESM file for the `tortiectl` bin; @tortie/* and other dependencies stay
// external and resolve to the workspace packages' builds.
export default defineConfig({
  entry: { tortiectl: "src/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  clean: true,
  banner: { js: "#!/usr/bin/env node" },
});
