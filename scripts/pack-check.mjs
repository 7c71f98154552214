#!/usr/bin/env node
// Installs every public package the way a stranger would — from the tarball
// `npm pack` makes, into fresh projects outside the workspace — and checks
// that it loads as ESM and CommonJS, type-checks under TypeScript's node16 and
// bundler resolution, and that the TypeScript examples of its README compile
// against the installed package.
//
//   node scripts/pack-check.mjs [--only name,name] [--keep]
//
// Needs a build (dist/) first. @tortie dependencies come from their own
// tarballs (they are installed together, as a registry would serve them);
// everything else from the npm registry. Prints a line per check and ends
// with "N passed, N failed".
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;
const keep = args.includes("--keep");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

const pkgs = new Map();
for (const d of readdirSync(join(ROOT, "packages"))) {
  const file = join(ROOT, "packages", d, "package.json");
  try {
    statSync(file);
  } catch {
    continue;
  }
  const pj = JSON.parse(readFileSync(file, "utf8"));
  if (pj.private) continue;
  pkgs.set(pj.name, { dir: join(ROOT, "packages", d), pj });
}

const work = mkdtempSync(join(tmpdir(), "tortie-pack-"));
const tarballs = join(work, "tarballs");
mkdirSync(tarballs);
let passed = 0;
let failed = 0;
const result = (ok, what, detail = "") => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ` — ${detail}` : ""}`);
};
const run = (cmd, argv, opts = {}) =>
  execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
const errText = (e) =>
  `${e.stderr ?? ""}${e.stdout ?? ""}${e.message}`.trim().split("\n").slice(0, 12).join("\n      ");

// 1. A tarball per public package.
const tgz = new Map();
for (const [name, { dir }] of pkgs) {
  const out = JSON.parse(
    run("npm", ["pack", "--json", "--pack-destination", tarballs], { cwd: dir }),
  );
  tgz.set(name, join(tarballs, out[0].filename));
  const files = out[0].files.map((f) => f.path);
  result(
    files.includes("LICENSE") && files.includes("README.md"),
    `${name}: tarball has LICENSE and README`,
    `${out[0].size} bytes, ${files.length} files`,
  );
}

// The @tortie packages a package needs, transitively (runtime dependencies only).
function tortieDeps(name, seen = new Set()) {
  for (const d of Object.keys(pkgs.get(name).pj.dependencies ?? {})) {
    if (d.startsWith("@tortie/") && !seen.has(d)) {
      seen.add(d);
      tortieDeps(d, seen);
    }
  }
  return seen;
}

// The ```ts blocks of a README.
function readmeExamples(dir) {
  const text = readFileSync(join(dir, "README.md"), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

for (const [name, { dir }] of pkgs) {
  if (only && !only.some((o) => name.endsWith(`/${o}`) || name === o)) continue;
  const c = join(work, name.replace("@tortie/", ""));
  mkdirSync(c);
  writeFileSync(
    join(c, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  const deps = [...tortieDeps(name)];
  const t0 = Date.now();
  try {
    run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        tgz.get(name),
        ...deps.map((d) => tgz.get(d)),
        "@types/node@20.19.43",
      ],
      { cwd: c },
    );
  } catch (e) {
    result(
      false,
      `${name}: npm install of the tarball${deps.length ? ` (+ ${deps.join(", ")})` : ""}`,
      errText(e),
    );
    continue;
  }
  const du = run("du", ["-sk", join(c, "node_modules")]).split("\t")[0];
  result(
    true,
    `${name}: installs alone from its tarball${deps.length ? ` with ${deps.join(", ")}` : ""}`,
    `${((Date.now() - t0) / 1000).toFixed(1)} s, node_modules ${(Number(du) / 1024).toFixed(1)} MiB`,
  );

  writeFileSync(
    join(c, "esm.mjs"),
    `import * as m from "${name}";\nif (Object.keys(m).length === 0) throw new Error("no exports");\nconsole.log(Object.keys(m).length);\n`,
  );
  writeFileSync(
    join(c, "cjs.cjs"),
    `const m = require("${name}");\nif (Object.keys(m).length === 0) throw new Error("no exports");\nconsole.log(Object.keys(m).length);\n`,
  );
  for (const [kind, file] of [
    ["ESM import", "esm.mjs"],
    ["CommonJS require", "cjs.cjs"],
  ]) {
    try {
      const n = run(process.execPath, [file], { cwd: c }).trim();
      result(true, `${name}: ${kind}`, `${n} exports`);
    } catch (e) {
      result(false, `${name}: ${kind}`, errText(e));
    }
  }
  // TypeScript consumers: the package's types under both resolutions, and its README's examples.
  const examples = readmeExamples(dir);
  for (const [i, src] of examples.entries()) {
    writeFileSync(join(c, `readme-${i + 1}.ts`), `${src}\nexport {};\n`);
  }
  writeFileSync(
    join(c, "types.ts"),
    `import * as m from "${name}";\nexport const names: (keyof typeof m)[] = [];\n`,
  );
  for (const [res, mod] of [
    ["node16", "node16"],
    ["bundler", "esnext"],
  ]) {
    const tsconfig = {
      compilerOptions: {
        module: mod,
        moduleResolution: res,
        target: "es2022",
        strict: true,
        noEmit: true,
        types: ["node"],
        skipLibCheck: false,
        lib: ["es2023"],
      },
      files: ["types.ts", ...examples.map((_, i) => `readme-${i + 1}.ts`)],
    };
    writeFileSync(join(c, `tsconfig.${res}.json`), JSON.stringify(tsconfig));
    try {
      run(process.execPath, [TSC, "-p", `tsconfig.${res}.json`], { cwd: c });
      result(
        true,
        `${name}: TypeScript (${res} resolution)${examples.length ? ` with the README's ${examples.length} example(s)` : ""}`,
      );
    } catch (e) {
      result(false, `${name}: TypeScript (${res} resolution)`, errText(e));
    }
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`\npack-check: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
