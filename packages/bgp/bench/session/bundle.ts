// Bundles a TypeScript entry (and the package source it imports) into one
// ES module with tsup, npm packages left as imports, so that a benchmark can
// run it with plain `node` — the way a user runs the built package. The
// output goes under the repository's node_modules/.cache (npm packages
// resolve from there; git ignores it).
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Bundles `entry` (a path) and returns the path of the .mjs file. */
export async function bundle(entry: string): Promise<string> {
  const outDir = join(ROOT, "node_modules", ".cache", "tortie-bench");
  mkdirSync(outDir, { recursive: true });
  const name = `${basename(entry).replace(/\.ts$/, "")}-${process.pid}`;
  await build({
    entry: { [name]: entry },
    outDir,
    format: ["esm"],
    platform: "node",
    target: "node20",
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    silent: true,
    config: false,
    outExtension: () => ({ js: ".mjs" }),
    external: [/^[^./]/],
  });
  return join(outDir, `${name}.mjs`);
}
