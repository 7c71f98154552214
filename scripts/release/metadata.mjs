// Registry metadata of the public packages: where the project lives.
//
// The project has no public home yet, so every package.json carries the
// placeholder repository below. Two guards keep that from reaching a
// registry page: `check.mjs` (each package's `prepublishOnly`) refuses to
// publish while any package still names the placeholder or has no homepage,
// and `set-repository.mjs <url>` writes the real URL into every package in
// one step (repository.url, repository.directory, homepage, bugs).
// Pure functions here; file I/O in the two scripts.

/** The placeholder every package.json carries until the project has a public URL. */
export const PLACEHOLDER = "git+https://example.invalid/tortie.git";

/**
 * Problems that make a package's metadata unfit for a registry page; empty
 * when it may be published. `pkg` is a parsed package.json.
 * @param {Record<string, unknown>} pkg
 * @returns {string[]}
 */
export function publishProblems(pkg) {
  if (pkg.private) return [];
  const problems = [];
  const repo = /** @type {{url?: string, directory?: string} | string | undefined} */ (
    pkg.repository
  );
  const url = typeof repo === "string" ? repo : repo?.url;
  if (!url) problems.push(`${pkg.name}: no repository`);
  else if (url === PLACEHOLDER || /example\.(invalid|com|org)/.test(url))
    problems.push(
      `${pkg.name}: repository is the placeholder ${url} — run \`node scripts/release/set-repository.mjs <url>\` first`,
    );
  if (typeof pkg.homepage !== "string" || pkg.homepage === "")
    problems.push(`${pkg.name}: no homepage (set-repository.mjs sets it to the package's README)`);
  for (const field of ["description", "license", "engines"])
    if (!pkg[field]) problems.push(`${pkg.name}: no ${field}`);
  return problems;
}

/**
 * A package.json with `base` as the project's repository: the git URL for
 * `repository.url`, the package's folder as `repository.directory`, its
 * README as `homepage`, the issue tracker as `bugs`. `base` is the web
 * address of the repository (https, no trailing `.git`).
 * @param {Record<string, unknown>} pkg
 * @param {string} base
 * @param {string} directory the package's folder inside the repository
 * @param {string} [branch]
 */
export function withRepository(pkg, base, directory, branch = "main") {
  let u;
  try {
    u = new URL(base);
  } catch {
    throw new Error(`not a URL: ${base}`);
  }
  if (u.protocol !== "https:") throw new Error(`the repository URL must be https: ${base}`);
  const web = u.href.replace(/\.git$/, "").replace(/\/+$/, "");
  return {
    ...pkg,
    repository: { type: "git", url: `git+${web}.git`, directory },
    homepage: `${web}/tree/${branch}/${directory}#readme`,
    bugs: { url: `${web}/issues` },
  };
}
