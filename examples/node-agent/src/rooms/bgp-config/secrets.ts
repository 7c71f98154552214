// Password secrets for BGP sessions (the edge of the bgp-config room):
// `<dir>/<secret name>/<key>` (a Kubernetes secret volume's layout), else the
// environment variable TORTIE_SECRET_<NAME>_<KEY> (upper case, other
// characters as "_"). A trailing newline of a file is not part of the password.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SecretRef } from "./desired.js";

/** The environment variable a secret key may come from. */
export function secretEnvName(ref: SecretRef): string {
  return `TORTIE_SECRET_${ref.name}_${ref.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** A resolver over a folder and an environment. */
export function secretResolver(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): (ref: SecretRef) => string | undefined {
  return (ref) => {
    // names are DNS labels/keys: refuse anything that could leave the folder
    const safe = /^[A-Za-z0-9][-A-Za-z0-9_.]*$/;
    if (
      safe.test(ref.name) &&
      safe.test(ref.key) &&
      !ref.name.includes("..") &&
      !ref.key.includes("..")
    ) {
      try {
        return readFileSync(join(dir, ref.name, ref.key), "utf8").replace(/\r?\n$/, "");
      } catch {}
    }
    const v = env[secretEnvName(ref)];
    return v === undefined || v === "" ? undefined : v;
  };
}
