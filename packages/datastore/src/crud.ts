// create/update/delete expressed as single-key transactions, so that every
// backend implements only `txn` and the three calls behave identically.
import { KeyExistsError, KeyNotFoundError, RevisionMismatchError } from "./errors.js";
import { checkKey, checkRevision } from "./keys.js";
import type { KeyValue, TxnRequest, TxnResult } from "./types.js";

type Txn = (req: TxnRequest) => Promise<TxnResult>;
type Get = (key: string) => Promise<KeyValue | undefined>;

/** `create` over a transaction: compare modRevision == 0, then put. */
export async function createViaTxn(
  txn: Txn,
  get: Get,
  key: string,
  value: string,
  lease?: string,
): Promise<KeyValue> {
  checkKey(key);
  const r = await txn({
    compare: [{ key, modRevision: 0 }],
    ops: [lease === undefined ? { type: "put", key, value } : { type: "put", key, value, lease }],
  });
  if (!r.succeeded) throw new KeyExistsError(key, r.current?.get(key));
  return written(get, key, r.revision, value, lease);
}

/** `update` over a transaction: compare modRevision, then put. */
export async function updateViaTxn(
  txn: Txn,
  get: Get,
  key: string,
  value: string,
  modRevision: number,
): Promise<KeyValue> {
  checkKey(key);
  checkRevision(modRevision, "modRevision");
  if (modRevision === 0) throw new KeyNotFoundError(key);
  const r = await txn({ compare: [{ key, modRevision }], ops: [{ type: "put", key, value }] });
  if (!r.succeeded) {
    const cur = r.current?.get(key);
    if (!cur) throw new KeyNotFoundError(key);
    throw new RevisionMismatchError(key, modRevision, cur);
  }
  return written(get, key, r.revision, value);
}

/** `delete` over a transaction (with or without a compare). */
export async function deleteViaTxn(
  txn: Txn,
  get: Get,
  key: string,
  modRevision?: number,
): Promise<boolean> {
  checkKey(key);
  if (modRevision === undefined) {
    const cur = await get(key);
    if (!cur) return false;
    modRevision = cur.modRevision;
    const r = await txn({ compare: [{ key, modRevision }], ops: [{ type: "delete", key }] });
    // Lost a race with another writer: delete unconditionally was asked for.
    if (!r.succeeded) return deleteViaTxn(txn, get, key);
    return true;
  }
  checkRevision(modRevision, "modRevision");
  const r = await txn({ compare: [{ key, modRevision }], ops: [{ type: "delete", key }] });
  if (!r.succeeded) {
    const cur = r.current?.get(key);
    if (!cur) throw new KeyNotFoundError(key);
    throw new RevisionMismatchError(key, modRevision, cur);
  }
  return true;
}

async function written(
  get: Get,
  key: string,
  revision: number,
  value: string,
  lease?: string,
): Promise<KeyValue> {
  // The value just written is known; only the version needs the store. A
  // concurrent writer may already have replaced it, so read and fall back.
  const kv = await get(key);
  if (kv && kv.modRevision === revision) return kv;
  return {
    key,
    value,
    createRevision: revision,
    modRevision: revision,
    version: 1,
    ...(lease === undefined ? {} : { lease }),
  };
}
