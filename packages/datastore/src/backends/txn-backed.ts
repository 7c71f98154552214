// What every backend builds on its own `txn` and `get`: the input checks of a
// transaction's compares, and create/update/delete as single-key
// transactions (`../crud.ts`), so the three backends share one copy of each.
import { createViaTxn, deleteViaTxn, updateViaTxn } from "../crud.js";
import { checkKey, checkRevision } from "../keys.js";
import type { Compare, KeyValue, TxnRequest, TxnResult } from "../types.js";

/** Throws `DatastoreUsageError` unless every compare names a key and a revision ≥ 0. */
export function checkCompares(compare: readonly Compare[]): void {
  for (const c of compare) {
    checkKey(c.key);
    checkRevision(c.modRevision, "modRevision");
  }
}

/** The transaction and read a single-key write goes through. */
export interface WritePath {
  /** Runs the write's transaction. */
  readonly txn: (req: TxnRequest) => Promise<TxnResult>;
  /** Reads the written key back (its version is the store's). */
  readonly get: (key: string) => Promise<KeyValue | undefined>;
}

/**
 * A store whose `create`, `update` and `delete` are single-key transactions
 * over its own {@link TxnBackedStore.txn} and {@link TxnBackedStore.get}.
 */
export abstract class TxnBackedStore {
  /** The current value of `key`, or undefined. */
  abstract get(key: string): Promise<KeyValue | undefined>;

  /** Runs one transaction: all compares hold, then all ops at one new revision. */
  abstract txn(req: TxnRequest): Promise<TxnResult>;

  /**
   * The path a create or update of `key` goes through: by default this
   * store's `txn` and `get`. A backend that reads the written key back in
   * the transaction's own round trip overrides it.
   */
  protected writePath(_key: string): WritePath {
    return { txn: (r) => this.txn(r), get: (k) => this.get(k) };
  }

  /** Creates `key`; throws `KeyExistsError` when it exists. */
  create(key: string, value: string, opts: { lease?: string } = {}): Promise<KeyValue> {
    const w = this.writePath(key);
    return createViaTxn(w.txn, w.get, key, value, opts.lease);
  }

  /** Replaces `key` if its modRevision is still `modRevision`. */
  update(key: string, value: string, modRevision: number): Promise<KeyValue> {
    const w = this.writePath(key);
    return updateViaTxn(w.txn, w.get, key, value, modRevision);
  }

  /** Deletes `key` (if its modRevision is `modRevision`, when given); false when absent. */
  delete(key: string, modRevision?: number): Promise<boolean> {
    return deleteViaTxn(
      (r) => this.txn(r),
      (k) => this.get(k),
      key,
      modRevision,
    );
  }
}
