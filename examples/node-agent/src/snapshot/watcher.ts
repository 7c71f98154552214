// The snapshot's edge: list each watched prefix, then watch it from the
// listing's revision + 1. When a watch ends (store unreachable, compaction,
// error) the prefix is listed again after a back-off (100 ms doubling to
// 10 s) and the snapshot is replaced by the listing, so deletions made while
// we were away are seen. Nothing is dropped from the snapshot while the store
// is unreachable: the rooms keep what they have.
import type { Datastore, Watch } from "@tortie/datastore";
import { type ChangeSummary, SnapshotBuilder, WATCHED_PREFIXES } from "./snapshot.js";

/** Callbacks of {@link SnapshotWatcher}. */
export interface WatcherEvents {
  /** The snapshot changed. */
  change(summary: ChangeSummary): void;
  /** Connection state: synced when every prefix is listed and watched. */
  state(synced: boolean, error?: Error): void;
}

/** Watches the datastore into a {@link SnapshotBuilder}. */
export class SnapshotWatcher {
  readonly builder = new SnapshotBuilder();
  private readonly watches = new Map<string, Watch>();
  private readonly live = new Set<string>();
  private readonly backoff = new Map<string, number>();
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Number of (re)listings done (status, metrics). */
  resyncs = 0;
  lastError: Error | undefined;

  constructor(
    private readonly store: Datastore,
    private readonly events: WatcherEvents,
    private readonly prefixes: readonly string[] = WATCHED_PREFIXES,
    private readonly maxBackoffMs = 10_000,
  ) {}

  /** Starts; resolves after the first attempt at every prefix (synced or not). */
  async start(): Promise<void> {
    await Promise.all(this.prefixes.map((p) => this.sync(p)));
  }

  get synced(): boolean {
    return this.live.size === this.prefixes.length;
  }

  private async sync(prefix: string): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.store.list(prefix);
      if (this.stopped) return;
      this.resyncs++;
      const summary = this.builder.replacePrefix(prefix, list.kvs);
      const w = this.store.watch(
        prefix,
        { startRevision: list.revision + 1 },
        {
          onEvents: (evs) => {
            const s = this.builder.apply(
              evs.map((e) =>
                e.type === "put"
                  ? { type: "put" as const, key: e.kv.key, value: e.kv.value }
                  : { type: "delete" as const, key: e.key },
              ),
            );
            if (s.kinds.size || s.newIssues.length) this.events.change(s);
          },
          onCompacted: () => this.lost(prefix, new Error(`watch of ${prefix} compacted`)),
          onError: (e) => this.lost(prefix, e),
        },
      );
      this.watches.set(prefix, w);
      await w.ready;
      this.backoff.delete(prefix);
      this.live.add(prefix);
      if (summary.kinds.size || summary.newIssues.length) this.events.change(summary);
      if (this.synced) this.events.state(true);
    } catch (e) {
      this.lost(prefix, e as Error);
    }
  }

  private lost(prefix: string, error: Error): void {
    if (this.stopped) return;
    this.lastError = error;
    const w = this.watches.get(prefix);
    this.watches.delete(prefix);
    void w?.close().catch(() => undefined);
    const wasSynced = this.synced;
    this.live.delete(prefix);
    if (wasSynced || !this.backoff.has(prefix)) this.events.state(false, error);
    const wait = this.backoff.get(prefix) ?? 100;
    this.backoff.set(prefix, Math.min(wait * 2, this.maxBackoffMs));
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.sync(prefix);
    }, wait);
    this.timers.add(t);
  }

  /** Stops watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.watches.values()].map((w) => w.close().catch(() => undefined)));
    this.watches.clear();
  }
}
