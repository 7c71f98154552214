// The small core every IPAM operation works over: the store and its keys,
// the configuration and block caches, and compare-and-swap helpers. The
// operations live in files named for them (assign.ts, release.ts,
// affinity.ts, config.ts, utilization.ts); `Ipam` in ipam.ts gathers them.
//
// Caches are only ever a hint: every write compares the revision it read,
// and a failed compare returns the current values in the same round trip.
import { ResourceClient } from "@tortie/api";
import type { Datastore, KeyValue } from "@tortie/datastore";
import { NodeNotFoundError } from "./errors.js";
import {
  type Affinity,
  type Block,
  EMPTY_CONFIG,
  type Handle,
  type IpamConfig,
  IpamKeys,
} from "./model.js";
import { calicoSelector, type SelectorFn } from "./pools.js";
import {
  decodeAffinity,
  decodeBlock,
  decodeConfig,
  decodeHandle,
  type Versioned,
} from "./records.js";

/** Options of {@link Ipam}. */
export interface IpamOptions {
  /** The datastore holding IPAM's records. */
  readonly store: Datastore;
  /** Key root (default "/tortie/ipam/v1/"). */
  readonly root?: string;
  /** Node-selector evaluator (default: `@tortie/selector`, Calico's selector language). */
  readonly selector?: SelectorFn;
  /**
   * Where Calico resources (the Node resources whose labels pool
   * nodeSelectors are evaluated against) are read: default a
   * `ResourceClient` over the same store, Calico's key layout
   * (`/calico/resources/v3/projectcalico.org/nodes/<name>`).
   */
  readonly resources?: ResourceClient;
  /** Compare-and-swap attempts per record before {@link ContentionError} (default 100). */
  readonly maxRetries?: number;
  /** Clock, ms (default Date.now); used for the configuration cache and block claim times. */
  readonly now?: () => number;
  /** Reuse the configuration read for this long, ms (default 1,000; 0 = always read). */
  readonly configCacheMs?: number;
}

/** Mutable state of one handle during an operation. */
export interface HandleState {
  readonly key: string;
  readonly handleId: string;
  value: Handle | undefined;
  modRevision: number;
}

/** The store, keys and caches shared by every operation. */
export class IpamCore {
  /** The datastore keys in use. */
  readonly keys: IpamKeys;
  /** The store. */
  readonly store: Datastore;
  /** Calico resources (Node labels). */
  readonly resources: ResourceClient;
  /** @internal */
  readonly selector: SelectorFn;
  /** @internal */
  readonly maxRetries: number;
  /** @internal */
  readonly now: () => number;
  /** @internal */
  readonly configCacheMs: number;
  /** @internal */
  cfg: (Versioned<IpamConfig> & { readAt: number }) | undefined;
  /** @internal Blocks with the revision they were read at. */
  readonly blocks = new Map<string, Versioned<Block>>();
  /** @internal Confirmed blocks per host. */
  readonly hostBlocks = new Map<string, string[]>();
  /** @internal Pending claims per host (seen at the last fresh read). */
  readonly hostPending = new Map<string, Versioned<Affinity>[]>();

  constructor(opts: IpamOptions) {
    this.store = opts.store;
    this.keys = new IpamKeys(opts.root);
    this.resources = opts.resources ?? new ResourceClient(opts.store);
    this.selector = opts.selector ?? calicoSelector;
    this.maxRetries = opts.maxRetries ?? 100;
    this.now = opts.now ?? Date.now;
    this.configCacheMs = opts.configCacheMs ?? 1000;
  }

  /** The configuration (pools, reservations, affinity settings). */
  async config(fresh = false): Promise<IpamConfig> {
    return (await this.configEntry(fresh)).value;
  }

  /** @internal The configuration with its revision, from the cache unless `fresh` or expired. */
  async configEntry(fresh: boolean): Promise<Versioned<IpamConfig>> {
    const now = this.now();
    if (!fresh && this.cfg && now - this.cfg.readAt < this.configCacheMs) return this.cfg;
    const kv = await this.store.get(this.keys.config);
    this.cfg = {
      value: kv ? decodeConfig(kv) : EMPTY_CONFIG,
      modRevision: kv?.modRevision ?? 0,
      readAt: now,
    };
    return this.cfg;
  }

  /**
   * @internal
   * Runs `op` on the configuration as cached, and once more on a fresh read
   * when it fails with `miss` and the stored configuration has changed since.
   *
   * Why: the cache (`configCacheMs`, default 1 s) holds an absent or older
   * configuration too. A client that read it just before another process
   * applied the pool answered "no IP pools are configured" until the cache
   * expired, although the key was written. A stale cache may cost one more
   * read on the failure path, never a wrong answer.
   */
  async withFreshConfigOnMiss<T>(
    miss: abstract new (...a: never[]) => Error,
    op: (cfg: IpamConfig) => Promise<T>,
  ): Promise<T> {
    const used = await this.configEntry(false);
    try {
      return await op(used.value);
    } catch (e) {
      if (!(e instanceof miss)) throw e;
      const fresh = await this.configEntry(true);
      if (fresh.modRevision === used.modRevision) throw e;
      return op(fresh.value);
    }
  }

  /** @internal Reads one block into the cache. */
  async readBlock(cidr: string): Promise<Versioned<Block> | undefined> {
    const kv = await this.store.get(this.keys.block(cidr));
    return this.cacheBlock(cidr, kv);
  }

  /** @internal Caches a block as read (or forgets it when absent). */
  cacheBlock(cidr: string, kv: KeyValue | undefined): Versioned<Block> | undefined {
    if (!kv) {
      this.blocks.delete(cidr);
      return undefined;
    }
    const v = { value: decodeBlock(kv), modRevision: kv.modRevision };
    this.blocks.set(cidr, v);
    return v;
  }

  /** All blocks (fresh from the store). */
  async listBlocks(): Promise<Block[]> {
    return (await this.listBlockEntries()).map((v) => v.value);
  }

  /** @internal All blocks with their revisions (fresh; refreshes the cache). */
  async listBlockEntries(): Promise<Versioned<Block>[]> {
    const r = await this.store.list(this.keys.blocksPrefix);
    return r.kvs.map((kv) => {
      const b = decodeBlock(kv);
      const v = { value: b, modRevision: kv.modRevision };
      this.blocks.set(b.cidr, v);
      return v;
    });
  }

  /** All affinities (with their revisions), or one host's. */
  async listAffinities(host?: string): Promise<Versioned<Affinity>[]> {
    const prefix =
      host === undefined ? this.keys.affinityPrefix : this.keys.hostAffinityPrefix(host);
    const r = await this.store.list(prefix);
    return r.kvs.map((kv) => ({ value: decodeAffinity(kv), modRevision: kv.modRevision }));
  }

  /** All handles. */
  async listHandles(): Promise<Versioned<Handle>[]> {
    const r = await this.store.list(this.keys.handlesPrefix);
    return r.kvs.map((kv) => ({ value: decodeHandle(kv), modRevision: kv.modRevision }));
  }

  /**
   * @internal
   * Brings blocks into the cache in as few round trips as fit: a few blocks
   * one by one, many with one listing. With `stale`, cached blocks whose
   * revision changed (found with a keys-only listing) are re-read too.
   */
  async loadBlocks(cidrs: readonly string[], stale: boolean): Promise<void> {
    let revs: Map<string, number> | undefined;
    if (stale) {
      const r = await this.store.list(this.keys.blocksPrefix, { keysOnly: true });
      revs = new Map(r.kvs.map((kv) => [kv.key, kv.modRevision]));
    }
    const want = cidrs.filter((c) => {
      const b = this.blocks.get(c);
      if (!b) return true;
      return revs !== undefined && revs.get(this.keys.block(c)) !== b.modRevision;
    });
    if (want.length > 4) {
      await this.listBlocks();
      return;
    }
    for (const c of want) await this.readBlock(c);
  }

  /** @internal The host's confirmed blocks (cached); a fresh read also notes its pending claims. */
  async affineBlocks(host: string, refresh: boolean): Promise<string[]> {
    const cached = this.hostBlocks.get(host);
    if (cached && !refresh) return cached;
    const affs = await this.listAffinities(host);
    const cidrs = affs.filter((a) => a.value.state === "confirmed").map((a) => a.value.cidr);
    this.hostBlocks.set(host, cidrs);
    this.hostPending.set(
      host,
      affs.filter((a) => a.value.state === "pending"),
    );
    return cidrs;
  }

  /** @internal Notes that `host` now owns (or no longer owns) `cidr`. */
  noteAffinity(host: string, cidr: string, owned: boolean): void {
    const mine = (this.hostBlocks.get(host) ?? []).filter((c) => c !== cidr);
    if (owned) mine.push(cidr);
    this.hostBlocks.set(host, mine);
  }

  /** @internal A handle assumed new (the common case: one per pod); a failed compare returns the real one. */
  handleState(handleId: string): HandleState {
    if (typeof handleId !== "string" || handleId.length === 0) {
      throw new TypeError("handleId must be a non-empty string");
    }
    return { key: this.keys.handle(handleId), handleId, value: undefined, modRevision: 0 };
  }

  /** @internal Takes a handle's current value from a failed transaction's answer. */
  refreshHandle(handle: HandleState, kv: KeyValue | undefined): void {
    handle.value = kv ? decodeHandle(kv) : undefined;
    handle.modRevision = kv?.modRevision ?? 0;
  }

  /**
   * @internal
   * The labels of a node's Node resource (Calico `prepareAffinityBlocksForHost`
   * reads the Node to evaluate pool nodeSelectors). Throws
   * {@link NodeNotFoundError} when the resource is absent.
   */
  async nodeLabels(host: string): Promise<Readonly<Record<string, string>>> {
    const node = await this.resources.get({
      apiVersion: "projectcalico.org/v3",
      kind: "Node",
      name: host,
    });
    if (!node) throw new NodeNotFoundError(host);
    return (node.metadata as { labels?: Record<string, string> }).labels ?? {};
  }

  /** Forgets cached blocks, affinities and configuration (after another client changed them in bulk). */
  invalidateCache(): void {
    this.blocks.clear();
    this.hostBlocks.clear();
    this.hostPending.clear();
    this.cfg = undefined;
  }
}
