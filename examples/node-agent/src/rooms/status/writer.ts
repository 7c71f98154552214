// Writes the node's status record to the datastore, one write at a time.
//
// Writes are asked for by a timer (every 10 s, a heartbeat) and 200 ms
// after each change (a session up or down, a recompute); each awaits the
// datastore. With a store that answers asynchronously (etcd: a gRPC call,
// retried by the client when a connection fails) two overlapping writes
// can land in either order, so a record taken before a session went down
// could overwrite the one saying it is down, and stay until the next
// change or heartbeat — readers (`tortiectl node status`, the dashboard)
// would be told the session is Established again. The "unchanged, skip"
// check had the same hole: it compared with the last write that had
// finished, so a call could skip as unchanged while a different record was
// still on its way to the store.
//
// So each write waits for the one before it, and takes the record only
// when its turn comes: a later write always carries a record at least as
// new as an earlier one, and lands after it. While one write waits, further
// calls share it (it will take the newest record anyway).
import type { Datastore } from "@tortie/datastore";
import { NODE_STATUS_PREFIX, type NodeStatus } from "./record.js";

/** What {@link StatusWriter} needs. */
export interface StatusWriterOptions {
  readonly node: string;
  readonly store: Pick<Datastore, "txn">;
  /** The record now (called when a write's turn comes). */
  readonly record: () => NodeStatus;
  /** An unchanged record is written again after this long (a heartbeat; ms). */
  readonly heartbeatMs: number;
  /** A write that failed (it is retried by the next call). */
  readonly onError?: (e: unknown) => void;
  readonly now?: () => number;
}

/** Writes the status record when it changed (timestamps aside) or is due, in order. */
export class StatusWriter {
  private last: Promise<void> = Promise.resolve();
  private waiting: Promise<void> | undefined;
  private lastKey = "";
  private lastWrittenAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly o: StatusWriterOptions) {}

  /** Writes the record after the writes asked for before; resolves when it has landed (or was not needed). */
  write(): Promise<void> {
    if (this.closed) return this.last;
    if (this.waiting) return this.waiting;
    const p = this.last.then(() => {
      this.waiting = undefined;
      return this.writeNow();
    });
    this.waiting = p;
    this.last = p;
    return p;
  }

  /** No more writes; resolves when the one under way (if any) has landed. */
  close(): Promise<void> {
    this.closed = true;
    return this.last;
  }

  /** Never rejects (a failure goes to `onError`), so the writes after it still run. */
  private async writeNow(): Promise<void> {
    if (this.closed) return;
    const now = this.o.now ?? Date.now;
    try {
      const s = this.o.record();
      const { updated: _u, ...rest } = s;
      const key = JSON.stringify(rest);
      if (key === this.lastKey && now() - this.lastWrittenAt < this.o.heartbeatMs) return;
      await this.o.store.txn({
        compare: [],
        ops: [
          { type: "put", key: `${NODE_STATUS_PREFIX}${this.o.node}`, value: JSON.stringify(s) },
        ],
      });
      this.lastKey = key;
      this.lastWrittenAt = now();
    } catch (e) {
      this.o.onError?.(e);
    }
  }
}
