// The heavy back-ends' client libraries are optional peer dependencies: a user
// of the memory store, or of etcd alone, never installs (or builds) SQLite,
// and a user of SQLite never installs etcd's gRPC stack. They are loaded the
// first time a store of that kind is made, with one clear error when absent.
import { createRequire } from "node:module";
import { DatastoreUsageError } from "../errors.js";

const cache = new Map<string, unknown>();

/**
 * Loads `name` for `store`; throws {@link DatastoreUsageError} naming the
 * package to install when it is not there.
 */
export function loadOptional<T>(name: string, version: string, store: string): T {
  const hit = cache.get(name);
  if (hit !== undefined) return hit as T;
  let mod: T;
  try {
    mod = createRequire(import.meta.url)(name) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "MODULE_NOT_FOUND" && err.message.includes(`'${name}'`)) {
      throw new DatastoreUsageError(
        `${store} needs the optional package ${name}: npm install ${name}@${version}`,
      );
    }
    throw e;
  }
  cache.set(name, mod);
  return mod;
}
