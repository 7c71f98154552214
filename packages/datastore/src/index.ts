/**
 * @tortie/datastore — a revisioned key-value store with compare-and-swap,
 * multi-key transactions, watch and leases, on three backends that pass one
 * conformance suite.
 *
 * Files:
 * - `types.ts`            the model: {@link Datastore}, KeyValue, TxnRequest, Watch, Lease.
 * - `errors.ts`           typed errors (conflicts, unavailable, compacted, usage).
 * - `keys.ts`             prefix ranges and input checks.
 * - `crud.ts`             create/update/delete as single-key transactions.
 * - `backends/txn-backed.ts` create/update/delete and compare checks over a
 *                         backend's own transactions (shared by the three below).
 * - `backends/watch-handle.ts` the watch handle of the in-process backends.
 * - `backends/memory.ts`  in-process reference backend (tests, tools).
 * - `backends/sqlite.ts`  embedded default: one SQLite file shared by processes of a host.
 * - `backends/etcd.ts`    etcd v3, for clusters.
 * - `backends/optional.ts` loads the optional back-end packages (better-sqlite3, etcd3).
 * Resources (Calico v3, Kubernetes) and their typed client are `@tortie/api`'s;
 * this package is storage only.
 * The conformance suite every backend passes is test code, in `test/conformance.ts`.
 */

export { EtcdStore, type EtcdStoreOptions } from "./backends/etcd.js";
export { MemoryStore, type MemoryStoreOptions } from "./backends/memory.js";
export { SqliteStore, type SqliteStoreOptions } from "./backends/sqlite.js";
export * from "./errors.js";
export { prefixEnd } from "./keys.js";
export type * from "./types.js";
