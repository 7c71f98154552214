#!/usr/bin/env node
// Installs every public package the way a stranger would — from the tarball
// `npm pack` makes, into fresh projects outside the workspace — and checks
// that it loads as ESM and CommonJS, type-checks under TypeScript's node16 and
// bundler resolution, and that the TypeScript examples of its README compile
// against the installed package — and run: each example, compiled, is run
// with node in the consumer project, inside a fresh network namespace made
// for that run and deleted after it (pack-check/sandbox.mjs), as its fence
// says (pack-check/fences.mjs: `runs=service`, `runs=cni-plugin`,
// `needs=etcd`, `needs=netns:NAME`, `npm=PKG@RANGE`). Running them needs root.
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
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FenceError, readmeExamples } from "./pack-check/fences.mjs";
import { runExample } from "./pack-check/run-example.mjs";
import { cannotSandbox } from "./pack-check/sandbox.mjs";

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

const noSandbox = cannotSandbox();

// A native package (node-gyp: better-sqlite3) the workspace has already built
// in a version the spec accepts is installed from that build (a link to its
// folder) rather than compiled again — about 3 minutes on two cores. Others
// come from the registry as the README says.
const semver = (() => {
  try {
    return createRequire(join(ROOT, "package.json"))("semver");
  } catch {
    return undefined;
  }
})();
function builtNative(spec) {
  const at = spec.lastIndexOf("@");
  const [pkg, range] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, "*"];
  const dir = join(ROOT, "node_modules", pkg);
  try {
    statSync(join(dir, "binding.gyp"));
    statSync(join(dir, "build"));
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    return semver?.satisfies(version, range) ? dir : spec;
  } catch {
    return spec;
  }
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
  let examples;
  try {
    examples = readmeExamples(readFileSync(join(dir, "README.md"), "utf8"), `${name} README.md`);
  } catch (e) {
    if (!(e instanceof FenceError)) throw e;
    result(false, `${name}: README examples`, e.message);
    continue;
  }
  for (const ex of examples) {
    writeFileSync(join(c, `readme-${ex.index}.ts`), `${ex.source}\nexport {};\n`);
  }
  writeFileSync(
    join(c, "types.ts"),
    `import * as m from "${name}";\nexport const names: (keyof typeof m)[] = [];\n`,
  );
  // node16 also emits the JavaScript that is run below (into run/).
  let emitted = false;
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
        ...(res === "node16" ? { outDir: "run", noEmitOnError: true } : { noEmit: true }),
        types: ["node"],
        skipLibCheck: false,
        lib: ["es2023"],
      },
      files: ["types.ts", ...examples.map((ex) => `readme-${ex.index}.ts`)],
    };
    writeFileSync(join(c, `tsconfig.${res}.json`), JSON.stringify(tsconfig));
    try {
      run(process.execPath, [TSC, "-p", `tsconfig.${res}.json`], { cwd: c });
      if (res === "node16") emitted = true;
      result(
        true,
        `${name}: TypeScript (${res} resolution)${examples.length ? ` with the README's ${examples.length} example(s)` : ""}`,
      );
    } catch (e) {
      result(false, `${name}: TypeScript (${res} resolution)`, errText(e));
    }
  }

  // The README's examples, run as written.
  if (!examples.length) continue;
  if (!emitted) {
    result(
      false,
      `${name}: README examples run`,
      "not compiled (see the TypeScript failure above)",
    );
    continue;
  }
  if (noSandbox) {
    result(false, `${name}: README examples run`, noSandbox);
    continue;
  }
  // What the README tells the user to install beside the package (optional peers).
  const extra = [...new Set(examples.flatMap((ex) => ex.npm))];
  if (extra.length) {
    const t1 = Date.now();
    const specs = extra.map(builtNative);
    const linked = specs.filter((x, i) => x !== extra[i]);
    const fetched = specs.filter((x, i) => x === extra[i]);
    const npmi = ["install", "--no-audit", "--no-fund", "--loglevel=error"];
    try {
      if (fetched.length) run("npm", [...npmi, ...fetched], { cwd: c });
      // a link to the built folder: its install script would build it again, in the workspace
      if (linked.length) run("npm", [...npmi, "--ignore-scripts", ...linked], { cwd: c });
      result(
        true,
        `${name}: npm install ${extra.join(" ")} beside it, as its README says`,
        `${((Date.now() - t1) / 1000).toFixed(1)} s${linked.length ? ` (native, not built again: ${linked.join(", ")})` : ""}`,
      );
    } catch (e) {
      result(false, `${name}: npm install ${extra.join(" ")} beside it`, errText(e));
      continue;
    }
  }
  for (const ex of examples) {
    const r = await runExample(ex, join(c, "run", `readme-${ex.index}.js`), c);
    result(
      r.ok,
      `${name}: README example ${ex.index} (line ${ex.line}${ex.runs !== "once" ? `, runs=${ex.runs}` : ""}) runs`,
      r.detail,
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
console.log(`\npack-check: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
