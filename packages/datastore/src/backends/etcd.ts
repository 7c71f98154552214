// The distributed backend: etcd v3 through the `etcd3` client. The model of
// `types.ts` is etcd's own, so calls map one to one:
//   txn     → KV.Txn: compare mod_revision (etcd API "Txn"; 0 = absent), then
//             puts/deletes; on failure the same round trip ranges the
//             compared keys, so a retry needs no extra read
//   watch   → Watch service with start_revision; the client resumes after a
//             disconnect from the last revision it saw; a start below the
//             compaction point ends the watch with `compact_revision`
//   leases  → Lease service (grant, keep-alive once, revoke)
import type { Etcd3, IKeyValue, IOptions, IRequestOp } from "etcd3";
import {
  CompactedError,
  DatastoreError,
  DatastoreUnavailableError,
  DatastoreUsageError,
} from "../errors.js";
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
import { checkCompares, TxnBackedStore, type WritePath } from "./txn-backed.js";

// `etcd3` (with gRPC) takes ~250 ms to load: load it only when an EtcdStore
// is made, so that processes on the embedded store (one CNI plugin run per
// pod) never pay for it.
function loadEtcd3(): typeof import("etcd3") {
  return loadOptional<typeof import("etcd3")>("etcd3", "1.1.2", "EtcdStore");
}

/** Options of {@link EtcdStore}. */
export interface EtcdStoreOptions {
  /** Client URLs, e.g. `["http://127.0.0.1:2379"]`. */
  readonly hosts: readonly string[];
  /** Deadline of each unary call, ms (default 5,000). */
  readonly callTimeoutMs?: number;
  /** Prefix added to every key (a namespace in a shared etcd), default none. */
  readonly prefix?: string;
}

// Policies for the client: call straight through. Tortie's callers retry
// compare-and-swap themselves, and a circuit breaker would turn a restarted
// etcd into seconds of refused calls.
const passthrough = {
  execute: <T>(fn: (ctx: { signal: AbortSignal; attempt: number }) => T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
};

const enc = (s: string): Buffer => Buffer.from(s, "utf8");

function toKv(k: IKeyValue, strip: number): KeyValue {
  const lease = k.lease && k.lease !== "0" ? k.lease : undefined;
  return {
    key: k.key.toString("utf8").slice(strip),
    value: k.value ? k.value.toString("utf8") : "",
    createRevision: Number(k.create_revision),
    modRevision: Number(k.mod_revision),
    version: Number(k.version),
    ...(lease === undefined ? {} : { lease }),
  };
}

/** Maps client errors: connection failures become {@link DatastoreUnavailableError}. */
function mapError(e: unknown, hosts: readonly string[]): unknown {
  if (e instanceof DatastoreError) return e;
  const err = e as Error;
  const msg = err?.message ?? String(e);
  if (/compacted/i.test(msg)) {
    const m = /compact(?:ed)? revision[^0-9]*(\d+)/i.exec(msg);
    return new CompactedError(m ? Number(m[1]) : 0);
  }
  if (
    /Unavailable|DeadlineExceeded|ECONNREFUSED|connect|No connection|Deadline|Closed|ended/i.test(
      `${err?.name} ${msg}`,
    )
  ) {
    return new DatastoreUnavailableError(`etcd unavailable at ${hosts.join(", ")}: ${msg}`, e);
  }
  return e;
}

/** A {@link Datastore} in etcd v3. */
export class EtcdStore extends TxnBackedStore implements Datastore {
  readonly capabilities = { leases: true, multiProcess: true } as const;
  // Private: its type comes from the optional etcd3 package, which the
  // public declarations must not need.
  private readonly client: Etcd3;
  private readonly hosts: readonly string[];
  private readonly prefix: string;

  constructor(opts: EtcdStoreOptions) {
    super();
    this.hosts = opts.hosts;
    this.prefix = opts.prefix ?? "";
    const timeout = opts.callTimeoutMs ?? 5000;
    const options: IOptions = {
      hosts: [...opts.hosts],
      dialTimeout: timeout,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: {
        host: () => passthrough as never,
        global: passthrough as never,
      },
    };
    this.client = new (loadEtcd3().Etcd3)(options);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapError(e, this.hosts);
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    checkKey(key);
    const r = await this.call(() => this.client.kv.range({ key: enc(this.prefix + key) }));
    const k = r.kvs[0];
    return k ? toKv(k, this.prefix.length) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const full = this.prefix + prefix;
    const end = prefixEnd(full);
    const r = await this.call(() =>
      this.client.kv.range({
        key: enc(full.length ? full : "\0"),
        range_end: end === undefined ? Buffer.from([0]) : enc(end),
        sort_order: "Ascend",
        sort_target: "Key",
        ...(opts.keysOnly ? { keys_only: true } : {}),
      }),
    );
    return {
      kvs: r.kvs.map((k) => toKv(k, this.prefix.length)),
      revision: Number(r.header.revision),
    };
  }

  /** Creates and updates read the written key back in the transaction's own round trip. */
  protected override writePath(key: string): WritePath {
    let written: KeyValue | undefined;
    return {
      txn: async (r) => {
        const { result, read } = await this.runTxn(r, key);
        written = read;
        return result;
      },
      get: async (k) => written ?? this.get(k),
    };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    return (await this.runTxn(req)).result;
  }

  /** A transaction; with `readAfter`, the key's value after a successful one, in the same round trip. */
  private async runTxn(
    req: TxnRequest,
    readAfter?: string,
  ): Promise<{ result: TxnResult; read?: KeyValue }> {
    checkCompares(req.compare);
    const success: IRequestOp[] = req.ops.map((op) => {
      checkKey(op.key);
      return op.type === "put"
        ? {
            request_put: {
              key: enc(this.prefix + op.key),
              value: enc(op.value),
              ...(op.lease === undefined ? {} : { lease: op.lease }),
            },
          }
        : { request_delete_range: { key: enc(this.prefix + op.key) } };
    });
    if (readAfter !== undefined)
      success.push({ request_range: { key: enc(this.prefix + readAfter) } });
    const failure: IRequestOp[] = req.compare.map((c) => ({
      request_range: { key: enc(this.prefix + c.key) },
    }));
    const r = await this.call(() =>
      this.client.kv.txn({
        compare: req.compare.map((c) => ({
          key: enc(this.prefix + c.key),
          target: "Mod",
          result: "Equal",
          mod_revision: c.modRevision,
        })),
        success,
        failure,
      }),
    );
    const revision = Number(r.header.revision);
    if (r.succeeded) {
      const k =
        readAfter === undefined
          ? undefined
          : r.responses[r.responses.length - 1]?.response_range?.kvs[0];
      return {
        result: { succeeded: true, revision },
        ...(k ? { read: toKv(k, this.prefix.length) } : {}),
      };
    }
    const current = new Map<string, KeyValue | undefined>();
    req.compare.forEach((c, i) => {
      const k = r.responses[i]?.response_range?.kvs[0];
      current.set(c.key, k ? toKv(k, this.prefix.length) : undefined);
    });
    return { result: { succeeded: false, revision, current } };
  }

  async revision(): Promise<number> {
    const r = await this.call(() =>
      this.client.kv.range({ key: enc(`${this.prefix}\0`), count_only: true }),
    );
    return Number(r.header.revision);
  }

  watch(prefix: string, opts: WatchOptions, listener: WatchListener): Watch {
    if (opts.startRevision !== undefined) checkRevision(opts.startRevision, "startRevision");
    const strip = this.prefix.length;
    let next = opts.startRevision ?? 0;
    let closed = false;
    const builder = this.client.watch().prefix(this.prefix + prefix);
    if (opts.startRevision !== undefined) builder.startRevision(String(opts.startRevision));
    const pending = builder.create();
    const end = async (fn: () => void): Promise<void> => {
      if (closed) return;
      closed = true;
      try {
        await (await pending).cancel();
      } catch {
        // already gone
      }
      fn();
    };
    const ready = pending.then((w) => {
      w.on("connected", (res) => {
        if (next === 0) next = Number(res.header.revision) + 1;
      });
      w.on("data", (res) => {
        if (closed) return;
        const events: WatchEvent[] = res.events.map((ev) => {
          const revision = Number(ev.kv.mod_revision);
          return ev.type === "Put"
            ? { type: "put", kv: toKv(ev.kv, strip), revision }
            : { type: "delete", key: ev.kv.key.toString("utf8").slice(strip), revision };
        });
        const last = events[events.length - 1];
        if (last) next = last.revision + 1;
        if (events.length) listener.onEvents(events);
      });
      w.on("error", (err: Error) => {
        if (closed) return;
        // A watch below the compaction point is cancelled by etcd; find the
        // compaction revision with a read at the revision we wanted.
        void this.compactRevisionOf(next).then((compactRev) =>
          end(() => {
            if (compactRev !== undefined) listener.onCompacted?.(compactRev);
            else listener.onError?.(mapError(err, this.hosts) as Error);
          }),
        );
      });
    });
    return {
      ready: ready.catch((e) => {
        throw mapError(e, this.hosts);
      }),
      get nextRevision() {
        return next;
      },
      close: () => end(() => {}),
    };
  }

  /** The compaction revision if `rev` has been compacted, else undefined. */
  private async compactRevisionOf(rev: number): Promise<number | undefined> {
    if (rev <= 0) return undefined;
    try {
      await this.client.kv.range({ key: enc(`${this.prefix}\0`), revision: rev, count_only: true });
      return undefined;
    } catch (e) {
      const m = mapError(e, this.hosts);
      if (m instanceof CompactedError) {
        // etcd's message does not carry the revision: find it by asking the
        // status of the newest compaction via a watch-free probe (binary search).
        return this.findCompactRevision(rev);
      }
      return undefined;
    }
  }

  private async findCompactRevision(below: number): Promise<number> {
    let lo = below;
    let hi = Number(
      (await this.client.kv.range({ key: enc("\0"), count_only: true })).header.revision,
    );
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      try {
        await this.client.kv.range({ key: enc("\0"), revision: mid, count_only: true });
        hi = mid;
      } catch {
        lo = mid + 1;
      }
    }
    return lo;
  }

  async compact(revision: number): Promise<void> {
    checkRevision(revision);
    await this.call(() => this.client.kv.compact({ revision, physical: true })).catch((e) => {
      if (e instanceof CompactedError) return; // already compacted further
      if (/future revision/i.test((e as Error).message)) {
        throw new DatastoreUsageError(`cannot compact to future revision ${revision}`);
      }
      throw e;
    });
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new DatastoreUsageError(`lease TTL must be a positive integer, got ${ttlSeconds}`);
    }
    // The client picks the ID, below 2^53: 64-bit IDs chosen by etcd lose
    // precision where protobufjs runs without the `long` package (bundlers,
    // vitest), and then name another lease.
    let id = "";
    for (let attempt = 0; ; attempt++) {
      const candidate = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
      try {
        await this.call(() =>
          this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: candidate }),
        );
        id = String(candidate);
        break;
      } catch (e) {
        if (attempt < 3 && /lease already exists/i.test((e as Error).message)) continue;
        throw e;
      }
    }
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        // One keep-alive round trip on the lease stream.
        const stream = await this.call(() => this.client.leaseClient.leaseKeepAlive());
        await new Promise<void>((resolve, reject) => {
          stream.on("data", (res: { TTL: string }) => {
            stream.end();
            if (Number(res.TTL) <= 0) {
              reject(new DatastoreUsageError(`lease ${id} has expired or was revoked`));
            } else resolve();
          });
          stream.on("error", (e: unknown) => reject(mapError(e, this.hosts)));
          stream.write({ ID: id });
        });
      },
      revoke: async () => {
        await this.call(() => this.client.leaseClient.leaseRevoke({ ID: id }));
      },
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
