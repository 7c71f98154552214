// CNI specification versions (SPEC.md "Version", "Version considerations").
//
// A configuration names one version in `cniVersion` and, since 1.1.0, a list
// in `cniVersions`; the runtime picks the highest one it supports. Versions
// compare as Semantic Versioning 2.0 triples.

/** The spec versions this library reads and writes, oldest first. */
export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

/** A spec version this library supports. */
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The newest spec version: the one this library speaks by default. */
export const LATEST_VERSION: CniVersion = "1.1.0";

/** True when `v` is one of {@link SUPPORTED_VERSIONS}. */
export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === "string" && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** Parses "major.minor.patch"; undefined when `v` is not such a triple. */
export function parseVersion(v: string): readonly [number, number, number] | undefined {
  const m = SEMVER_RE.exec(v);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * Orders two versions: negative when `a` < `b`, 0 when equal, positive when
 * greater. Strings that are not version triples sort before every version.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  for (let i = 0; i < 3; i++) {
    const d = pa[i]! - pb[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The highest version among `offered` (a configuration's `cniVersion` and
 * `cniVersions`) that `supported` contains, or undefined when none is
 * (SPEC.md "Version considerations": runtimes MUST select the highest).
 */
export function selectVersion(
  offered: readonly string[],
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string | undefined {
  let best: string | undefined;
  for (const v of offered) {
    if (!supported.includes(v)) continue;
    if (best === undefined || compareVersions(v, best) > 0) best = v;
  }
  return best;
}

/** True when results of version `v` carry the `version` field in `ips` (0.3.0–0.4.0). */
export function hasIpVersionField(v: string): boolean {
  return compareVersions(v, "0.3.0") >= 0 && compareVersions(v, "1.0.0") < 0;
}

/** True when `v` knows the verb: CHECK from 0.4.0, STATUS and GC from 1.1.0. */
export function versionSupportsCommand(v: string, command: string): boolean {
  switch (command) {
    case "CHECK":
      return compareVersions(v, "0.4.0") >= 0;
    case "STATUS":
    case "GC":
      return compareVersions(v, "1.1.0") >= 0;
    default:
      return true;
  }
}
