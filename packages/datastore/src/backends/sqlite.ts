// The embedded backend: one SQLite file that several processes on a host
// share (the node agent and one CNI plugin process per pod). Why SQLite:
// it is the one embedded store whose file locking makes concurrent writers
// from separate processes safe (https://sqlite.org/lockingv3.html), WAL mode
// lets readers run while one writer commits (https://sqlite.org/wal.html),
// and better-sqlite3 is synchronous, so a transaction is a plain function
// that never interleaves with other work of this process.
//
// Tables (the etcd model of `types.ts`, kept in SQL):
//   kv(key, value, create_rev, mod_rev, version, lease)   current state
//   log(rev, seq, key, type, value, create_rev, version, lease)  history for watch
//   meta(name, value)   'rev' = store revision, 'compact' = oldest watchable revision
//   leases(id, expires_at, ttl)
//
// Every write runs in `BEGIN IMMEDIATE`, which takes the file's write lock
// before reading, so compare-and-swap checks and writes are atomic across
// processes. Watches poll `meta.rev` (other processes' writes) and are woken
// at once by this process's own writes.
import type Database from "better-sqlite3";
import { DatastoreUnavailableError, DatastoreUsageError } from "../errors.js";
import { checkKey, checkRevision, prefixEnd } from "../keys.js";
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
import { loadOptional } from "./optional.js";
import { checkCompares, TxnBackedStore } from "./txn-backed.js";
import { localWatch } from "./watch-handle.js";

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Path of the database file (created if absent); ":memory:" for a private store. */
  readonly path: string;
  /** How long a writer waits for another process's lock, ms (default 10,000). */
  readonly busyTimeoutMs?: number;
  /** How often watches look for other processes' writes, ms (default 20). */
  readonly pollMs?: number;
  /** Keep at least this many revisions of history (default 100,000). */
  readonly historyLimit?: number;
  /** Clock for leases, ms (default `Date.now`; must agree across processes). */
  readonly now?: () => number;
}

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: string | null;
}

interface LogRow {
  rev: number;
  key: string;
  type: number;
  value: string | null;
  create_rev: number | null;
  version: number | null;
  lease: string | null;
}

interface SqlWatcher {
  readonly prefix: string;
  readonly end: string | undefined;
  next: number;
  readonly listener: WatchListener;
  closed: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (rev INTEGER NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
  type INTEGER NOT NULL, value TEXT, create_rev INTEGER, version INTEGER, lease TEXT,
  PRIMARY KEY (rev, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, ttl INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('rev', 1), ('compact', 0), ('lease', 0);
`;

const PUT = 0;
const DEL = 1;

function toKv(r: Row): KeyValue {
  return {
    key: r.key,
    value: r.value,
    createRevision: r.create_rev,
    modRevision: r.mod_rev,
    version: r.version,
    ...(r.lease === null ? {} : { lease: r.lease }),
  };
}

/** A {@link Datastore} in a SQLite file, safe to share between processes of one host. */
export class SqliteStore extends TxnBackedStore implements Datastore {
  readonly capabilities = { leases: true, multiProcess: true } as const;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly historyLimit: number;
  private readonly watchers = new Set<SqlWatcher>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastSeenRev = 0;
  private closed = false;
  private readonly st: {
    get: Database.Statement<[string], Row>;
    rangeAll: Database.Statement<[string], Row>;
    range: Database.Statement<[string, string], Row>;
    keysAll: Database.Statement<[string], Row>;
    keys: Database.Statement<[string, string], Row>;
    meta: Database.Statement<[string], { value: number }>;
    setMeta: Database.Statement<[number, string]>;
    put: Database.Statement<[string, string, number, number, number, string | null]>;
    del: Database.Statement<[string]>;
    log: Database.Statement<
      [number, number, string, number, string | null, number | null, number | null, string | null]
    >;
    logFrom: Database.Statement<[number], LogRow>;
    expiredLease: Database.Statement<[number], { id: string }>;
  };

  constructor(opts: SqliteStoreOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.pollMs = opts.pollMs ?? 20;
    this.historyLimit = opts.historyLimit ?? 100_000;
    // better-sqlite3 is an optional peer dependency (see optional.ts).
    const Sqlite = loadOptional<typeof Database>("better-sqlite3", "12", "SqliteStore");
    try {
      this.db = new Sqlite(opts.path, { timeout: opts.busyTimeoutMs ?? 10_000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.transaction(() => this.db.exec(SCHEMA)).immediate();
    } catch (e) {
      throw new DatastoreUnavailableError(
        `cannot open SQLite store ${opts.path}: ${(e as Error).message}`,
        e,
      );
    }
    const db = this.db;
    this.st = {
      get: db.prepare("SELECT * FROM kv WHERE key = ?"),
      rangeAll: db.prepare("SELECT * FROM kv WHERE key >= ? ORDER BY key"),
      range: db.prepare("SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key"),
      keysAll: db.prepare(
        "SELECT key, '' AS value, create_rev, mod_rev, version, lease FROM kv WHERE key >= ? ORDER BY key",
      ),
      keys: db.prepare(
        "SELECT key, '' AS value, create_rev, mod_rev, version, lease FROM kv WHERE key >= ? AND key < ? ORDER BY key",
      ),
      meta: db.prepare("SELECT value FROM meta WHERE name = ?"),
      setMeta: db.prepare("UPDATE meta SET value = ? WHERE name = ?"),
      put: db.prepare(
        "INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev, version, lease) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      del: db.prepare("DELETE FROM kv WHERE key = ?"),
      log: db.prepare(
        "INSERT INTO log (rev, seq, key, type, value, create_rev, version, lease) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      logFrom: db.prepare("SELECT * FROM log WHERE rev >= ? ORDER BY rev, seq"),
      expiredLease: db.prepare("SELECT id FROM leases WHERE expires_at <= ?"),
    };
  }

  private metaValue(name: string): number {
    return this.st.meta.get(name)!.value;
  }

  /** Runs `fn` as an IMMEDIATE transaction, mapping lock timeouts to a typed error. */
  private write<T>(fn: () => T): T {
    this.open();
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private read<T>(fn: () => T): T {
    this.open();
    this.expire();
    try {
      return this.db.transaction(fn).deferred();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private mapError(e: unknown): unknown {
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL)/.test(code)) {
      return new DatastoreUnavailableError(`SQLite store unavailable: ${(e as Error).message}`, e);
    }
    return e;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    const r = this.read(() => this.st.get.get(key));
    return r ? toKv(r) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const end = prefixEnd(prefix);
    return this.read(() => {
      let rows: Row[];
      if (opts.keysOnly) {
        rows = end === undefined ? this.st.keysAll.all(prefix) : this.st.keys.all(prefix, end);
      } else {
        rows = end === undefined ? this.st.rangeAll.all(prefix) : this.st.range.all(prefix, end);
      }
      return { kvs: rows.map(toKv), revision: this.metaValue("rev") };
    });
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    checkCompares(req.compare);
    for (const op of req.ops) checkKey(op.key);
    this.expire();
    const res = this.write((): TxnResult => {
      const rows = new Map<string, Row | undefined>();
      let ok = true;
      for (const c of req.compare) {
        const r = this.st.get.get(c.key);
        rows.set(c.key, r);
        if ((r?.mod_rev ?? 0) !== c.modRevision) ok = false;
      }
      const rev = this.metaValue("rev");
      if (!ok) {
        const current = new Map<string, KeyValue | undefined>();
        for (const [k, r] of rows) current.set(k, r ? toKv(r) : undefined);
        return { succeeded: false, revision: rev, current };
      }
      return { succeeded: true, revision: this.applyOps(req.ops, rev) };
    });
    if (res.succeeded) queueMicrotask(() => this.deliver());
    return res;
  }

  /** Applies writes at revision `rev + 1` inside an open write transaction. */
  private applyOps(ops: TxnRequest["ops"], rev: number): number {
    const next = rev + 1;
    let seq = 0;
    for (const op of ops) {
      const prev = this.st.get.get(op.key);
      if (op.type === "put") {
        if (op.lease !== undefined) {
          const l = this.db.prepare("SELECT 1 FROM leases WHERE id = ?").get(op.lease);
          if (!l) throw new DatastoreUsageError(`lease not found: ${op.lease}`);
        }
        const create = prev ? prev.create_rev : next;
        const version = prev ? prev.version + 1 : 1;
        const lease = op.lease ?? null;
        this.st.put.run(op.key, op.value, create, next, version, lease);
        this.st.log.run(next, seq++, op.key, PUT, op.value, create, version, lease);
      } else if (prev) {
        this.st.del.run(op.key);
        this.st.log.run(next, seq++, op.key, DEL, null, null, null, null);
      }
    }
    if (seq === 0) return rev;
    this.st.setMeta.run(next, "rev");
    // Bound the history: every 1,000 revisions drop what is older than the limit.
    if (next % 1000 === 0) {
      const keepFrom = next - this.historyLimit;
      if (keepFrom > this.metaValue("compact")) this.compactInTxn(keepFrom);
    }
    return next;
  }

  private compactInTxn(revision: number): void {
    this.db.prepare("DELETE FROM log WHERE rev < ?").run(revision);
    this.st.setMeta.run(revision, "compact");
  }

  async revision(): Promise<number> {
    return this.read(() => this.metaValue("rev"));
  }

  watch(prefix: string, opts: WatchOptions, listener: WatchListener): Watch {
    this.open();
    if (opts.startRevision !== undefined) checkRevision(opts.startRevision, "startRevision");
    const w: SqlWatcher = {
      prefix,
      end: prefixEnd(prefix),
      next: opts.startRevision ?? this.metaValue("rev") + 1,
      listener,
      closed: false,
    };
    this.watchers.add(w);
    if (!this.timer) {
      this.timer = setInterval(() => this.poll(), this.pollMs);
      this.timer.unref();
    }
    queueMicrotask(() => this.deliver());
    return localWatch(w, () => {
      this.watchers.delete(w);
      if (this.watchers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
  }

  private poll(): void {
    if (this.closed) return;
    try {
      this.expire();
      const rev = this.metaValue("rev");
      if (rev !== this.lastSeenRev) this.deliver();
    } catch (e) {
      for (const w of this.watchers) w.listener.onError?.(e as Error);
    }
  }

  private deliver(): void {
    if (this.closed || this.watchers.size === 0) return;
    const { rows, rev, compact } = this.db
      .transaction(() => {
        let from = Number.POSITIVE_INFINITY;
        for (const w of this.watchers) from = Math.min(from, w.next);
        const compact = this.metaValue("compact");
        const rev = this.metaValue("rev");
        const rows = from > rev ? [] : this.st.logFrom.all(Math.max(from, compact));
        return { rows, rev, compact };
      })
      .deferred();
    this.lastSeenRev = rev;
    for (const w of [...this.watchers]) {
      if (w.closed) continue;
      if (w.next < compact) {
        w.closed = true;
        this.watchers.delete(w);
        w.listener.onCompacted?.(compact);
        continue;
      }
      const batch: WatchEvent[] = [];
      for (const r of rows) {
        if (r.rev < w.next || r.key < w.prefix || (w.end !== undefined && r.key >= w.end)) continue;
        batch.push(
          r.type === PUT
            ? {
                type: "put",
                revision: r.rev,
                kv: {
                  key: r.key,
                  value: r.value!,
                  createRevision: r.create_rev!,
                  modRevision: r.rev,
                  version: r.version!,
                  ...(r.lease === null ? {} : { lease: r.lease }),
                },
              }
            : { type: "delete", key: r.key, revision: r.rev },
        );
      }
      if (rev + 1 > w.next) w.next = rev + 1;
      if (batch.length) w.listener.onEvents(batch);
    }
  }

  async compact(revision: number): Promise<void> {
    checkRevision(revision);
    this.write(() => {
      const rev = this.metaValue("rev");
      if (revision > rev) {
        throw new DatastoreUsageError(`cannot compact to future revision ${revision} > ${rev}`);
      }
      if (revision > this.metaValue("compact")) this.compactInTxn(revision);
    });
    queueMicrotask(() => this.deliver());
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new DatastoreUsageError(`lease TTL must be a positive integer, got ${ttlSeconds}`);
    }
    const id = this.write(() => {
      const n = this.metaValue("lease") + 1;
      this.st.setMeta.run(n, "lease");
      const id = String(n);
      this.db
        .prepare("INSERT INTO leases (id, expires_at, ttl) VALUES (?, ?, ?)")
        .run(id, this.now() + ttlSeconds * 1000, ttlSeconds);
      return id;
    });
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        this.expire();
        const n = this.write(
          () =>
            this.db
              .prepare("UPDATE leases SET expires_at = ? WHERE id = ?")
              .run(this.now() + ttlSeconds * 1000, id).changes,
        );
        if (n === 0) throw new DatastoreUsageError(`lease ${id} has expired or was revoked`);
      },
      revoke: async () => {
        this.dropLeases([id]);
      },
    };
  }

  /** Deletes the keys of expired leases (lazily, before operations and on polls). */
  private expire(): void {
    this.open();
    const gone = this.st.expiredLease.all(this.now());
    if (gone.length) this.dropLeases(gone.map((g) => g.id));
  }

  private dropLeases(ids: readonly string[]): void {
    const changed = this.write(() => {
      const rev = this.metaValue("rev");
      const ops: { type: "delete"; key: string }[] = [];
      for (const id of ids) {
        this.db.prepare("DELETE FROM leases WHERE id = ?").run(id);
        for (const r of this.db.prepare("SELECT key FROM kv WHERE lease = ?").all(id) as {
          key: string;
        }[]) {
          ops.push({ type: "delete", key: r.key });
        }
      }
      return this.applyOps(ops, rev) !== rev;
    });
    if (changed) queueMicrotask(() => this.deliver());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.watchers.clear();
    this.db.close();
  }

  private open(): void {
    if (this.closed) throw new DatastoreUsageError("store is closed");
  }
}
