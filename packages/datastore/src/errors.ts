// Typed errors of the datastore. Conflicts (a compare-and-swap lost a race)
// are expected in normal operation and carry what the caller needs to retry;
// unavailability and misuse are separate classes.
import type { KeyValue } from "./types.js";

/** Base class of every datastore error. */
export class DatastoreError extends Error {
  override readonly name: string = "DatastoreError";
}

/** `create` found the key already present. */
export class KeyExistsError extends DatastoreError {
  override readonly name = "KeyExistsError";
  constructor(
    readonly key: string,
    readonly current: KeyValue | undefined,
  ) {
    super(`key already exists: ${key}`);
  }
}

/** `update`/`delete` found no such key. */
export class KeyNotFoundError extends DatastoreError {
  override readonly name = "KeyNotFoundError";
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** A compare-and-swap failed: the key changed since it was read. */
export class RevisionMismatchError extends DatastoreError {
  override readonly name = "RevisionMismatchError";
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly current: KeyValue | undefined,
  ) {
    super(
      `revision mismatch on ${key}: expected modRevision ${expected}, found ${current?.modRevision ?? "absent"}`,
    );
  }
}

/** A watch or read asked for a revision older than the compaction point. */
export class CompactedError extends DatastoreError {
  override readonly name = "CompactedError";
  constructor(readonly compactRevision: number) {
    super(`revision compacted (compact revision ${compactRevision})`);
  }
}

/** The backend cannot be reached (etcd down, file unreadable). */
export class DatastoreUnavailableError extends DatastoreError {
  override readonly name = "DatastoreUnavailableError";
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The backend lacks a feature (leases on a store without them). */
export class UnsupportedError extends DatastoreError {
  override readonly name = "UnsupportedError";
}

/** Bad input from the caller (empty key, negative revision, closed store). */
export class DatastoreUsageError extends DatastoreError {
  override readonly name = "DatastoreUsageError";
}
