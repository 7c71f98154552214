// The in-memory backend: the reference implementation of the model in
// `types.ts`, for tests and single-process tools. Pure (no timers or I/O):
// time comes from an injected clock, watch delivery uses microtasks.
import { DatastoreUsageError } from "../errors.js";
import { checkKey, checkRevision } from "../keys.js";
import type {
  Datastore,
  KeyValue,
  Lease,
  ListOptions,
  ListResult,
  TxnRequest,
  TxnResult,
  Watch,
  WatchEvent,
  WatchListener,
  WatchOptions,
} from "../types.js";
import { checkCompares, TxnBackedStore } from "./txn-backed.js";
import { localWatch } from "./watch-handle.js";

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock in milliseconds for lease expiry (default `Date.now`). */
  readonly now?: () => number;
  /** Keep at most this many revisions of history for watches (default 100,000). */
  readonly historyLimit?: number;
}

interface MemWatcher {
  readonly prefix: string;
  next: number;
  readonly listener: WatchListener;
  closed: boolean;
}

interface MemLease {
  expiresAt: number;
  readonly ttlSeconds: number;
}

/** A {@link Datastore} held in this process's memory. */
export class MemoryStore extends TxnBackedStore implements Datastore {
  readonly capabilities = { leases: true, multiProcess: false } as const;
  private readonly kvs = new Map<string, KeyValue>();
  /** Events by revision, oldest first; revisions < compactRev are gone. */
  private readonly history: { revision: number; events: WatchEvent[] }[] = [];
  private rev = 1;
  private compactRev = 0;
  private readonly watchers = new Set<MemWatcher>();
  private readonly leases = new Map<string, MemLease>();
  private nextLeaseId = 1;
  private closed = false;
  private readonly now: () => number;
  private readonly historyLimit: number;

  constructor(opts: MemoryStoreOptions = {}) {
    super();
    this.now = opts.now ?? Date.now;
    this.historyLimit = opts.historyLimit ?? 100_000;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.open();
    checkKey(key);
    this.expire();
    return this.kvs.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.open();
    this.expire();
    const kvs = [...this.kvs.values()]
      .filter((kv) => kv.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((kv) => (opts.keysOnly ? { ...kv, value: "" } : kv));
    return { kvs, revision: this.rev };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    this.open();
    this.expire();
    return this.txnNow(req);
  }

  private txnNow(req: TxnRequest): TxnResult {
    checkCompares(req.compare);
    for (const op of req.ops) {
      checkKey(op.key);
      if (op.type === "put" && op.lease !== undefined && !this.leases.has(op.lease)) {
        throw new DatastoreUsageError(`lease not found: ${op.lease}`);
      }
    }
    const ok = req.compare.every((c) => (this.kvs.get(c.key)?.modRevision ?? 0) === c.modRevision);
    if (!ok) {
      const current = new Map<string, KeyValue | undefined>();
      for (const c of req.compare) current.set(c.key, this.kvs.get(c.key));
      return { succeeded: false, revision: this.rev, current };
    }
    if (req.ops.length === 0) return { succeeded: true, revision: this.rev };
    return { succeeded: true, revision: this.apply(req.ops) };
  }

  /** Applies writes at one new revision and queues their events. */
  private apply(ops: TxnRequest["ops"]): number {
    const revision = this.rev + 1;
    const events: WatchEvent[] = [];
    // etcd rejects a txn that writes one key twice; keep the last write.
    for (const op of ops) {
      const prev = this.kvs.get(op.key);
      if (op.type === "put") {
        const kv: KeyValue = {
          key: op.key,
          value: op.value,
          createRevision: prev ? prev.createRevision : revision,
          modRevision: revision,
          version: prev ? prev.version + 1 : 1,
          ...(op.lease === undefined ? {} : { lease: op.lease }),
        };
        this.kvs.set(op.key, kv);
        events.push({ type: "put", kv, revision });
      } else if (prev) {
        this.kvs.delete(op.key);
        events.push({ type: "delete", key: op.key, revision });
      }
    }
    if (events.length === 0) return this.rev;
    this.rev = revision;
    this.history.push({ revision, events });
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactRev = Math.max(this.compactRev, dropped[dropped.length - 1]!.revision + 1);
    }
    queueMicrotask(() => this.deliver());
    return revision;
  }

  async revision(): Promise<number> {
    this.open();
    this.expire();
    return this.rev;
  }

  watch(prefix: string, opts: WatchOptions, listener: WatchListener): Watch {
    this.open();
    if (opts.startRevision !== undefined) checkRevision(opts.startRevision, "startRevision");
    const w: MemWatcher = {
      prefix,
      next: opts.startRevision ?? this.rev + 1,
      listener,
      closed: false,
    };
    this.watchers.add(w);
    queueMicrotask(() => this.deliver());
    return localWatch(w, () => this.watchers.delete(w));
  }

  private deliver(): void {
    for (const w of this.watchers) {
      if (w.closed) continue;
      if (w.next < this.compactRev) {
        w.closed = true;
        this.watchers.delete(w);
        w.listener.onCompacted?.(this.compactRev);
        continue;
      }
      const batch: WatchEvent[] = [];
      for (const h of this.history) {
        if (h.revision < w.next) continue;
        for (const e of h.events) {
          const key = e.type === "put" ? e.kv.key : e.key;
          if (key.startsWith(w.prefix)) batch.push(e);
        }
      }
      if (this.rev + 1 > w.next) w.next = this.rev + 1;
      if (batch.length > 0) w.listener.onEvents(batch);
    }
  }

  async compact(revision: number): Promise<void> {
    this.open();
    checkRevision(revision);
    if (revision > this.rev) {
      throw new DatastoreUsageError(`cannot compact to future revision ${revision} > ${this.rev}`);
    }
    // etcd semantics: after compact(r), revisions < r are gone; watching from r still works.
    if (revision <= this.compactRev) return;
    while (this.history.length > 0 && this.history[0]!.revision < revision) this.history.shift();
    this.compactRev = revision;
    queueMicrotask(() => this.deliver());
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.open();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new DatastoreUsageError(`lease TTL must be a positive integer, got ${ttlSeconds}`);
    }
    const id = String(this.nextLeaseId++);
    const l: MemLease = { expiresAt: this.now() + ttlSeconds * 1000, ttlSeconds };
    this.leases.set(id, l);
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        this.expire();
        const cur = this.leases.get(id);
        if (!cur) throw new DatastoreUsageError(`lease ${id} has expired or was revoked`);
        cur.expiresAt = this.now() + ttlSeconds * 1000;
      },
      revoke: async () => {
        this.dropLeases([id]);
      },
    };
  }

  /** Deletes the keys of expired leases (lazily, before every operation). */
  private expire(): void {
    const now = this.now();
    const gone: string[] = [];
    for (const [id, l] of this.leases) if (l.expiresAt <= now) gone.push(id);
    if (gone.length) this.dropLeases(gone);
  }

  private dropLeases(ids: readonly string[]): void {
    const set = new Set(ids);
    for (const id of ids) this.leases.delete(id);
    const ops = [...this.kvs.values()]
      .filter((kv) => kv.lease !== undefined && set.has(kv.lease))
      .map((kv) => ({ type: "delete" as const, key: kv.key }));
    if (ops.length) this.apply(ops);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }

  private open(): void {
    if (this.closed) throw new DatastoreUsageError("store is closed");
  }
}
