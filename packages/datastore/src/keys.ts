// Key helpers shared by the backends.
import { DatastoreUsageError } from "./errors.js";

/**
 * The smallest key greater than every key starting with `prefix` (etcd's
 * `range_end` for a prefix: the prefix with its last byte incremented).
 * Returns undefined when no such key exists (empty prefix: the whole space).
 */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return undefined;
}

/** Throws {@link DatastoreUsageError} unless `key` is a non-empty string. */
export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new DatastoreUsageError("key must be a non-empty string");
  }
}

/** Throws {@link DatastoreUsageError} unless `rev` is a non-negative integer. */
export function checkRevision(rev: number, what = "revision"): void {
  if (!Number.isSafeInteger(rev) || rev < 0) {
    throw new DatastoreUsageError(`${what} must be a non-negative integer, got ${rev}`);
  }
}
