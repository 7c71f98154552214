#!/usr/bin/env node
// `node scripts/release/set-repository.mjs https://<host>/<org>/tortie`:
// writes the project's public repository into every public package.json
// (repository, homepage, bugs), so that `check.mjs` lets them be published.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withRepository } from "./metadata.mjs";

const [base, branch] = process.argv.slice(2);
if (!base) {
  console.error("usage: set-repository.mjs <https URL of the repository> [branch]");
  process.exit(2);
}
const root = new URL("../..", import.meta.url).pathname;
for (const dir of readdirSync(join(root, "packages"))) {
  const file = join(root, "packages", dir, "package.json");
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    continue;
  }
  if (pkg.private) continue;
  try {
    pkg = withRepository(pkg, base, `packages/${dir}`, branch);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  }
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  console.log(`${pkg.name}: ${pkg.homepage}`);
}
