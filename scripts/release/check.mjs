#!/usr/bin/env node
// `prepublishOnly` of every public package: refuses to publish a package
// whose registry page would show a placeholder repository or no homepage
// (metadata.mjs). Run from the package's folder (npm does), or with paths
// to package.json files.
import { readFileSync } from "node:fs";
import { publishProblems } from "./metadata.mjs";

const files = process.argv.length > 2 ? process.argv.slice(2) : ["package.json"];
const problems = files.flatMap((f) => publishProblems(JSON.parse(readFileSync(f, "utf8"))));
if (problems.length) {
  for (const p of problems) console.error(`not publishable: ${p}`);
  process.exit(1);
}
