#!/usr/bin/env node
// Install size and time of each public package alone, as a stranger installs
// it: `npm pack` of every package of a source tree, then for each package
// `npm install <its tarball> <the @tortie tarballs it depends on>` into a
// fresh project, with the npm cache warm (one untimed install of all the
// tree's packages together first). Median of --runs installs; size is `du` of node_modules,
// packages are the lockfile's entries. Trees side by side, e.g. before and
// after a change (docs/benchmarks/install.md):
//
//   node scripts/pack-check/install-bench.mjs [--runs 3] [--json FILE] \
//     [--only datastore,api] [--no-warm] before=/tmp/tortie-before/packages after=packages
//
// Each tree's packages must be built (dist/) first.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const runs = Number(opt("--runs", "3"));
const jsonOut = opt("--json");
const only = opt("--only")?.split(",");
const warm = !args.includes("--no-warm");
const trees = args
  .filter((a, i) => a.includes("=") && !["--runs", "--json", "--only"].includes(args[i - 1]))
  .map((a) => {
    const [label, dir] = a.split("=");
    return { label, dir: resolve(dir) };
  });
if (!trees.length) {
  console.error("usage: install-bench.mjs [--runs 3] [--json FILE] LABEL=PACKAGES_DIR …");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "tortie-install-bench-"));
const sh = (cmd, argv, cwd) =>
  execFileSync(cmd, argv, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Packs every public package of a tree; returns name → {tgz, deps}. */
function pack(tree) {
  const out = join(work, tree.label);
  mkdirSync(out);
  const pkgs = new Map();
  for (const d of readdirSync(tree.dir)) {
    let pj;
    try {
      pj = JSON.parse(readFileSync(join(tree.dir, d, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (pj.private) continue;
    const r = JSON.parse(
      sh("npm", ["pack", "--json", "--pack-destination", out], join(tree.dir, d)),
    );
    pkgs.set(pj.name, { tgz: join(out, r[0].filename), pj });
  }
  for (const [, p] of pkgs) {
    const seen = new Set();
    const walk = (pj) => {
      for (const dep of Object.keys(pj.dependencies ?? {}))
        if (dep.startsWith("@tortie/") && !seen.has(dep) && pkgs.has(dep)) {
          seen.add(dep);
          walk(pkgs.get(dep).pj);
        }
    };
    walk(p.pj);
    p.deps = [...seen];
  }
  return pkgs;
}

/** One install into a fresh project: seconds, KiB, packages. */
function install(p, pkgs) {
  const dir = mkdtempSync(join(work, "consumer-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  const t0 = performance.now();
  sh(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      p.tgz,
      ...p.deps.map((d) => pkgs.get(d).tgz),
    ],
    dir,
  );
  const s = (performance.now() - t0) / 1000;
  const kib = Number(sh("du", ["-sk", join(dir, "node_modules")]).split("\t")[0]);
  const lock = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  const count = Object.keys(lock.packages ?? {}).filter((k) => k !== "").length;
  rmSync(dir, { recursive: true, force: true });
  return { s, kib, count };
}

const results = [];
for (const tree of trees) {
  const pkgs = pack(tree);
  const chosen = [...pkgs].filter(([name]) => !only || only.some((o) => name === `@tortie/${o}`));
  // warm the cache: the chosen packages once, together (--no-warm: a run before warmed it)
  if (warm) {
    const names = [...new Set(chosen.flatMap(([name, p]) => [name, ...p.deps]))];
    install({ tgz: pkgs.get(names[0]).tgz, deps: names.slice(1) }, pkgs);
  }
  for (const [name, p] of chosen) {
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(install(p, pkgs));
    const row = {
      tree: tree.label,
      name,
      version: p.pj.version,
      seconds: median(samples.map((x) => x.s)),
      mib: median(samples.map((x) => x.kib)) / 1024,
      packages: median(samples.map((x) => x.count)),
      samples: samples.map((x) => Number(x.s.toFixed(2))),
      load: loadavg()[0],
    };
    results.push(row);
    console.log(
      `${row.tree} ${name}: ${row.seconds.toFixed(1)} s (runs ${row.samples.join(", ")}), ${row.mib.toFixed(1)} MiB, ${row.packages} packages; load ${row.load.toFixed(2)}`,
    );
  }
}
rmSync(work, { recursive: true, force: true });
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);

// A table, one row per package, trees side by side.
const names = [...new Set(results.map((r) => r.name))].sort();
const cell = (r) =>
  r ? `${r.seconds.toFixed(1)} s, ${r.mib.toFixed(1)} MiB, ${r.packages} pkgs` : "—";
console.log(`\n| package | ${trees.map((t) => t.label).join(" | ")} |`);
console.log(`| --- | ${trees.map(() => "---").join(" | ")} |`);
for (const n of names)
  console.log(
    `| ${n} | ${trees.map((t) => cell(results.find((r) => r.tree === t.label && r.name === n))).join(" | ")} |`,
  );
