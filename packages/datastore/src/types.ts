// The revisioned key-value model every backend implements. It follows etcd's
// v3 data model (etcd API reference, "Key-Value API" and "Watch API"):
//
//   store revision  ──►  a counter bumped once per successful write (a
//                        transaction with many writes bumps it once)
//   key ──► { value, createRevision, modRevision, version, lease }
//
// A key's `modRevision` is the store revision of its last write; compare-and-
// swap compares it (0 means "the key must not exist").

/** One stored key with its revision metadata (etcd `mvccpb.KeyValue`). */
export interface KeyValue {
  /** The key (UTF-8 text; prefixes give the hierarchy). */
  readonly key: string;
  /** The value (UTF-8 text; Tortie stores JSON). */
  readonly value: string;
  /** Store revision at which the key was created (since its last deletion). */
  readonly createRevision: number;
  /** Store revision of the last write to the key. */
  readonly modRevision: number;
  /** Number of writes since creation (1 after create). */
  readonly version: number;
  /** Lease the key is attached to, if any. */
  readonly lease?: string;
}

/** A comparison guarding a transaction: the key's `modRevision` must equal this (0: must be absent). */
export interface Compare {
  readonly key: string;
  readonly modRevision: number;
}

/** A write inside a transaction. */
export type TxnOp =
  | { readonly type: "put"; readonly key: string; readonly value: string; readonly lease?: string }
  | { readonly type: "delete"; readonly key: string };

/** A multi-key transaction: if every compare holds, apply every op atomically. */
export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly ops: readonly TxnOp[];
}

/** The outcome of a transaction. */
export interface TxnResult {
  /** True when every compare held and the ops were applied. */
  readonly succeeded: boolean;
  /** The store revision after the transaction (unchanged when it failed). */
  readonly revision: number;
  /**
   * When the transaction failed: the current value of every compared key
   * (undefined when absent), read in the same round trip, so that a caller's
   * retry needs no extra read.
   */
  readonly current?: ReadonlyMap<string, KeyValue | undefined>;
}

/** Options of {@link Datastore.list}. */
export interface ListOptions {
  /** Return keys and revisions with empty values. */
  readonly keysOnly?: boolean;
}

/** The result of a prefix listing: the keys and the revision they were read at. */
export interface ListResult {
  readonly kvs: readonly KeyValue[];
  readonly revision: number;
}

/** A change seen by a watch. Events of one transaction share a `revision`. */
export type WatchEvent =
  | { readonly type: "put"; readonly kv: KeyValue; readonly revision: number }
  | { readonly type: "delete"; readonly key: string; readonly revision: number };

/** Callbacks of a watch. */
export interface WatchListener {
  /** Events in revision order, batched per delivery. */
  onEvents(events: readonly WatchEvent[]): void;
  /**
   * The requested start revision was compacted: the watch has ended and the
   * caller must re-list (then watch from the listing's revision + 1).
   */
  onCompacted?(compactRevision: number): void;
  /** A non-recoverable error ended the watch. */
  onError?(error: Error): void;
}

/** Options of {@link Datastore.watch}. */
export interface WatchOptions {
  /** Deliver events with revision ≥ this (default: only future events). */
  readonly startRevision?: number;
}

/** A running watch. */
export interface Watch {
  /** Resolves once the watch is registered with the backend. */
  readonly ready: Promise<void>;
  /**
   * The revision to resume from after this watch ends or its connection drops:
   * one past the last delivered event (or the revision the watch started at).
   */
  readonly nextRevision: number;
  /** Stops the watch. */
  close(): Promise<void>;
}

/** A lease: keys attached to it are deleted when it expires or is revoked. */
export interface Lease {
  readonly id: string;
  /** Time to live granted, in seconds. */
  readonly ttlSeconds: number;
  /** Renews the lease for another `ttlSeconds`. */
  keepAlive(): Promise<void>;
  /** Revokes the lease, deleting its keys. */
  revoke(): Promise<void>;
}

/** What a backend supports beyond the common interface. */
export interface Capabilities {
  /** Leases with time-to-live. */
  readonly leases: boolean;
  /** Several processes may open the same store concurrently. */
  readonly multiProcess: boolean;
}

/**
 * A revisioned key-value store with compare-and-swap, transactions and watch.
 * Every backend (memory, SQLite, etcd) passes the same conformance suite.
 */
export interface Datastore {
  /** What this backend supports. */
  readonly capabilities: Capabilities;
  /** Reads one key. */
  get(key: string): Promise<KeyValue | undefined>;
  /**
   * Reads every key under `prefix` (in key order). With `keysOnly`, values
   * come back empty (etcd's `keys_only`): cheap listings of what exists.
   */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Creates a key; throws {@link KeyExistsError} if present. */
  create(key: string, value: string, opts?: { lease?: string }): Promise<KeyValue>;
  /**
   * Replaces a key's value if its `modRevision` still equals `modRevision`;
   * throws {@link RevisionMismatchError} (or {@link KeyNotFoundError}) otherwise.
   */
  update(key: string, value: string, modRevision: number): Promise<KeyValue>;
  /**
   * Deletes a key; with `modRevision`, only if unchanged since. Deleting an
   * absent key without `modRevision` is a no-op that returns false.
   */
  delete(key: string, modRevision?: number): Promise<boolean>;
  /** Runs a multi-key compare-and-swap transaction. */
  txn(req: TxnRequest): Promise<TxnResult>;
  /** The current store revision. */
  revision(): Promise<number>;
  /** Watches every key under `prefix`. */
  watch(prefix: string, opts: WatchOptions, listener: WatchListener): Watch;
  /** Discards history before `revision` (watches from before it see {@link WatchListener.onCompacted}). */
  compact(revision: number): Promise<void>;
  /** Grants a lease (throws {@link UnsupportedError} where the backend has none). */
  grantLease(ttlSeconds: number): Promise<Lease>;
  /** Releases the backend's resources. */
  close(): Promise<void>;
}
