// The ```ts examples of a README and how pack-check is to run each one, read
// from the fence's info string after the language (GitHub and npm show only
// the language; the rest is for this runner). Pure.
//
//   ```ts                              run with node; must exit 0 within 30 s
//   ```ts runs=service                 a long-running example (a reconciler, a
//                                      daemon): must still be running, without
//                                      error, after 3 s; then stopped (SIGTERM)
//   ```ts runs=cni-plugin              a CNI plugin: called as a runtime calls
//                                      it (VERSION, ADD, DEL); each must exit 0
//   ```ts needs=etcd                   an etcd on 127.0.0.1:2379 (in the
//                                      example's own network namespace)
//   ```ts needs=netns:pod1             a network namespace named pod1 (private
//                                      to the run: nothing on the host is named)
//   ```ts npm=better-sqlite3@12        packages the README tells the user to
//                                      install beside this one (optional peers)
//
// An unknown key or value is an error naming the closest valid one: a typo
// must not turn a requirement into a silent skip.

/** The keys of an info string and the values each takes (`*` any). */
const KEYS = {
  runs: ["once", "service", "cni-plugin"],
  needs: ["etcd", "netns:*"],
  npm: ["*"],
};

/** Edit distance, for "did you mean". */
function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length][b.length];
}
const closest = (w, valid) => {
  const best = [...valid].sort((x, y) => distance(w, x) - distance(w, y))[0];
  return best && distance(w, best) <= Math.max(2, w.length / 3) ? ` (did you mean "${best}"?)` : "";
};

/** A README example and what it needs to run. */
export class FenceError extends Error {}

/**
 * Parses an info string's attributes (`runs=service needs=etcd,netns:pod1`).
 * @returns {{runs: string, needs: string[], npm: string[]}}
 */
export function parseInfo(info, where = "fence") {
  const out = { runs: "once", needs: [], npm: [] };
  for (const tok of info.trim().split(/\s+/).filter(Boolean)) {
    const eq = tok.indexOf("=");
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const value = eq < 0 ? "" : tok.slice(eq + 1);
    if (!(key in KEYS))
      throw new FenceError(
        `${where}: unknown key "${key}"${closest(key, Object.keys(KEYS))}; keys: ${Object.keys(KEYS).join(", ")}`,
      );
    const values = value.split(",").filter(Boolean);
    if (values.length === 0) throw new FenceError(`${where}: ${key}= needs a value`);
    for (const v of values) {
      const ok = KEYS[key].some(
        (k) =>
          k === "*" ||
          k === v ||
          (k.endsWith(":*") && v.startsWith(k.slice(0, -1)) && v.length > k.length - 1),
      );
      if (!ok)
        throw new FenceError(
          `${where}: ${key}=${v} is not valid${closest(v, KEYS[key])}; valid: ${KEYS[key].join(", ")}`,
        );
    }
    if (key === "runs") {
      if (values.length !== 1) throw new FenceError(`${where}: runs= takes one value`);
      out.runs = values[0];
    } else out[key].push(...values);
  }
  return out;
}

/**
 * The ```ts blocks of a README, in order, with their run attributes.
 * @returns {{index: number, line: number, source: string, runs: string, needs: string[], npm: string[]}[]}
 */
export function readmeExamples(text, file = "README.md") {
  const out = [];
  const re = /^```ts([^\n]*)\n([\s\S]*?)^```/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const line = text.slice(0, m.index).split("\n").length;
    const info = m[1] ?? "";
    if (info && !/^\s/.test(info)) continue; // ```tsx, ```tsv… are other languages
    out.push({
      index: out.length + 1,
      line,
      source: m[2],
      ...parseInfo(info, `${file}:${line}`),
    });
  }
  return out;
}

/** The network namespaces an example needs (names from `needs=netns:NAME`). */
export const namespacesOf = (ex) =>
  ex.needs.filter((n) => n.startsWith("netns:")).map((n) => n.slice("netns:".length));
