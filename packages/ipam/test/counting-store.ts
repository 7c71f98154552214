// Test helpers shared by the unit, property and integration tests (not exported).
import type { Datastore, ListOptions, TxnRequest } from "@tortie/datastore";

/** Wraps a store and counts its round trips (every call is one). */
export function countingStore(inner: Datastore): Datastore & { calls: number; reset(): void } {
  const s = {
    calls: 0,
    reset() {
      s.calls = 0;
    },
    capabilities: inner.capabilities,
    get: (k: string) => {
      s.calls++;
      return inner.get(k);
    },
    list: (p: string, o?: ListOptions) => {
      s.calls++;
      return inner.list(p, o);
    },
    create: (k: string, v: string, o?: { lease?: string }) => {
      s.calls++;
      return inner.create(k, v, o);
    },
    update: (k: string, v: string, r: number) => {
      s.calls++;
      return inner.update(k, v, r);
    },
    delete: (k: string, r?: number) => {
      s.calls++;
      return inner.delete(k, r);
    },
    txn: (r: TxnRequest) => {
      s.calls++;
      return inner.txn(r);
    },
    revision: () => inner.revision(),
    watch: inner.watch.bind(inner),
    compact: inner.compact.bind(inner),
    grantLease: inner.grantLease.bind(inner),
    close: () => inner.close(),
  };
  return s;
}
