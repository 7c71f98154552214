// The allocator: Calico's IPAM semantics over any @tortie/datastore backend.
//
// Every write is one compare-and-swap transaction (bounded retries): an
// assignment updates the block and the handle together, so a crash can never
// leave one without the other. In the steady state an assignment costs one
// round trip: blocks are cached with their revision, and a failed compare
// returns the current values in the same round trip.
//
// Block claim (two-phase affinity, after Calico's `claimAffineBlock`):
//   1. create   affinity/<host>/<block> = pending      (fails if present)
//   2. txn      blocks/<block> absent  ∧ affinity unchanged
//               → create the block (affine to host), affinity = confirmed
// The block is created only if absent, so two hosts never both own it; the
// loser deletes its pending affinity. A pending affinity left by a crash is
// resumed by the same host or found and removed by `check`/`repair`.
import type { Datastore, KeyValue, TxnOp } from "@tortie/datastore";
import {
  type Assigned,
  assign,
  assignOrdinal,
  blockHost,
  emptyBlock,
  handleAt,
  ipAt,
  isEmpty,
  ordinalOf,
  ordinalsOfHandle,
  type ReleaseRequest,
  release,
} from "./block.js";
import { type Family, formatCidr, parseCidr, parseIp } from "./cidr.js";
import {
  AddressInUseError,
  AddressNotInPoolError,
  AddressReservedError,
  ContentionError,
  InvalidPoolError,
  NoEligiblePoolError,
  PoolExhaustedError,
  PoolOverlapError,
} from "./errors.js";
import {
  type Affinity,
  type AllowedUse,
  type Block,
  blockName,
  EMPTY_CONFIG,
  type Handle,
  type IpamConfig,
  IpamKeys,
  type Pool,
  type PoolInput,
} from "./model.js";
import {
  allOnly,
  blockAt,
  blockCount,
  blockOf,
  eligiblePools,
  hashString,
  normalizePool,
  poolOf,
  reservedIn,
  type SelectorFn,
  validateConfig,
} from "./pools.js";
import {
  adjustHandle,
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
  /** Node-selector evaluator (default: only `all()`); inject `@tortie/selector`'s. */
  readonly selector?: SelectorFn;
  /** Compare-and-swap attempts per record before {@link ContentionError} (default 100). */
  readonly maxRetries?: number;
  /** Clock, ms (default Date.now); used for the configuration cache. */
  readonly now?: () => number;
  /** Reuse the configuration read for this long, ms (default 1,000; 0 = always read). */
  readonly configCacheMs?: number;
}

/** A request for automatic assignment (Calico `AutoAssignArgs`). */
export interface AutoAssignRequest {
  /** The handle the addresses belong to (e.g. "k8s-pod-network.<containerID>"). */
  readonly handleId: string;
  /** The node asking; blocks affine to it are used first. */
  readonly hostname: string;
  /** IPv4 addresses wanted (default 0). */
  readonly num4?: number;
  /** IPv6 addresses wanted (default 0). */
  readonly num6?: number;
  /** Attributes stored with each address (namespace, pod, node…). */
  readonly attrs?: Readonly<Record<string, string>>;
  /** Restrict to these IPv4 pools (names or CIDRs). */
  readonly pools4?: readonly string[];
  /** Restrict to these IPv6 pools (names or CIDRs). */
  readonly pools6?: readonly string[];
  /** The node's labels, for pool nodeSelectors. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** What the addresses are for (default "Workload"). */
  readonly use?: AllowedUse;
}

/** What {@link Ipam.autoAssign} returns. */
export interface AutoAssignResult {
  readonly ipv4: readonly AssignedIp[];
  readonly ipv6: readonly AssignedIp[];
}

/** An assigned address with the block it came from and its sequence number. */
export interface AssignedIp {
  readonly ip: string;
  readonly block: string;
  readonly sequenceNumber: number;
}

/** An address to release, optionally guarded by handle and sequence number. */
export interface ReleaseSpec {
  readonly ip: string;
  readonly handleId?: string;
  readonly sequenceNumber?: number;
}

/** Mutable state of one handle during an operation. */
interface HandleState {
  readonly key: string;
  readonly handleId: string;
  value: Handle | undefined;
  modRevision: number;
}

/** The IPAM client: pools, blocks with host affinity, handles. */
export class Ipam {
  /** The datastore keys in use. */
  readonly keys: IpamKeys;
  /** The store. */
  readonly store: Datastore;
  private readonly selector: SelectorFn;
  private readonly maxRetries: number;
  private readonly now: () => number;
  private readonly configCacheMs: number;
  private cfg: (Versioned<IpamConfig> & { readAt: number }) | undefined;
  private readonly blocks = new Map<string, Versioned<Block>>();
  private readonly hostBlocks = new Map<string, string[]>();
  private readonly hostPending = new Map<string, Versioned<Affinity>[]>();

  constructor(opts: IpamOptions) {
    this.store = opts.store;
    this.keys = new IpamKeys(opts.root);
    this.selector = opts.selector ?? allOnly;
    this.maxRetries = opts.maxRetries ?? 100;
    this.now = opts.now ?? Date.now;
    this.configCacheMs = opts.configCacheMs ?? 1000;
  }

  // ---------------------------------------------------------------- config

  /** The configuration (pools, reservations, affinity settings). */
  async config(fresh = false): Promise<IpamConfig> {
    return (await this.configEntry(fresh)).value;
  }

  /** The configuration with its revision, from the cache unless `fresh` or expired. */
  private async configEntry(fresh: boolean): Promise<Versioned<IpamConfig>> {
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

  /** Changes the configuration with compare-and-swap; `change` may throw to refuse. */
  async updateConfig(change: (cfg: IpamConfig) => IpamConfig): Promise<IpamConfig> {
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const kv = await this.store.get(this.keys.config);
      const cur = kv ? decodeConfig(kv) : EMPTY_CONFIG;
      const next = change(cur);
      validateConfig(next);
      const r = await this.store.txn({
        compare: [{ key: this.keys.config, modRevision: kv?.modRevision ?? 0 }],
        ops: [{ type: "put", key: this.keys.config, value: JSON.stringify(next) }],
      });
      if (r.succeeded) {
        this.cfg = { value: next, modRevision: r.revision, readAt: this.now() };
        return next;
      }
    }
    throw new ContentionError("update IPAM configuration", this.maxRetries);
  }

  /** Adds (or replaces, by name) a pool; throws {@link PoolOverlapError} or {@link InvalidPoolError}. */
  async applyPool(input: PoolInput): Promise<Pool> {
    const pool = normalizePool(input);
    await this.updateConfig((cfg) => {
      const old = cfg.pools.find((p) => p.name === pool.name);
      if (old && (old.cidr !== pool.cidr || old.blockSize !== pool.blockSize)) {
        // Calico forbids changing an existing pool's CIDR or blockSize.
        throw new InvalidPoolError(pool.name, "cidr", "cidr and blockSize of a pool cannot change");
      }
      const others = cfg.pools.filter((p) => p.name !== pool.name);
      for (const o of others) {
        const a = parseCidr(o.cidr);
        const b = parseCidr(pool.cidr);
        if (a.family === b.family && overlapsCidr(a, b))
          throw new PoolOverlapError(pool.cidr, o.cidr);
      }
      return { ...cfg, pools: [...others, pool] };
    });
    return pool;
  }

  /** Removes a pool by name (its blocks stay until released). */
  async deletePool(name: string): Promise<void> {
    await this.updateConfig((cfg) => ({ ...cfg, pools: cfg.pools.filter((p) => p.name !== name) }));
  }

  /** Sets the reserved CIDRs (the union of all IPReservations). */
  async setReservations(cidrs: readonly string[]): Promise<void> {
    const norm = cidrs.map((c) => formatCidr(parseCidr(c.includes("/") ? c : hostCidr(c))));
    await this.updateConfig((cfg) => ({ ...cfg, reservations: norm }));
  }

  /** Sets IPAMConfiguration's strictAffinity and maxBlocksPerHost. */
  async setIpamConfiguration(c: {
    strictAffinity?: boolean;
    maxBlocksPerHost?: number;
  }): Promise<void> {
    await this.updateConfig((cfg) => ({
      ...cfg,
      strictAffinity: c.strictAffinity ?? cfg.strictAffinity,
      maxBlocksPerHost: c.maxBlocksPerHost ?? cfg.maxBlocksPerHost,
    }));
  }

  // ---------------------------------------------------------------- reads

  private async readBlock(cidr: string): Promise<Versioned<Block> | undefined> {
    const kv = await this.store.get(this.keys.block(cidr));
    return this.cacheBlock(cidr, kv);
  }

  private cacheBlock(cidr: string, kv: KeyValue | undefined): Versioned<Block> | undefined {
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
    const r = await this.store.list(this.keys.blocksPrefix);
    return r.kvs.map((kv) => {
      const b = decodeBlock(kv);
      this.blocks.set(b.cidr, { value: b, modRevision: kv.modRevision });
      return b;
    });
  }

  /** All affinities (with their revisions). */
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
   * Brings blocks into the cache in as few round trips as fit: a few blocks
   * one by one, many with one listing. With `stale`, cached blocks whose
   * revision changed (found with a keys-only listing) are re-read too.
   */
  private async loadBlocks(cidrs: readonly string[], stale: boolean): Promise<void> {
    // For stale entries, a keys-only listing tells which blocks changed.
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

  /** The host's confirmed blocks (cached); a fresh read also notes its pending claims. */
  private async affineBlocks(host: string, refresh: boolean): Promise<string[]> {
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

  // ---------------------------------------------------------------- assign

  /**
   * Assigns `num4` IPv4 and `num6` IPv6 addresses to a handle: from blocks
   * affine to the host, then from newly claimed blocks, then (unless
   * strictAffinity) borrowed from other hosts' blocks. All or nothing: when a
   * family cannot be satisfied, what this call assigned is released and
   * {@link PoolExhaustedError} is thrown.
   */
  async autoAssign(req: AutoAssignRequest): Promise<AutoAssignResult> {
    return this.withFreshConfigOnMiss(NoEligiblePoolError, (cfg) => this.autoAssignWith(req, cfg));
  }

  /**
   * Runs `op` on the configuration as cached, and once more on a fresh read
   * when it fails with `miss` and the stored configuration has changed since.
   *
   * Why: the cache (`configCacheMs`, default 1 s) holds an absent or older
   * configuration too. A client that read it just before another process
   * applied the pool (a CNI helper or node agent that started with the
   * cluster) answered "no IP pools are configured" until the cache expired,
   * although the key was written. A stale cache may cost one more read on the
   * failure path, never a wrong answer; the steady state keeps one round trip.
   */
  private async withFreshConfigOnMiss<T>(
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

  private async autoAssignWith(req: AutoAssignRequest, cfg: IpamConfig): Promise<AutoAssignResult> {
    const handle = this.handleState(req.handleId);
    const ipv4 = req.num4 ? await this.assignFamily(4, req.num4, req, cfg, handle) : [];
    let ipv6: AssignedIp[] = [];
    try {
      ipv6 = req.num6 ? await this.assignFamily(6, req.num6, req, cfg, handle) : [];
    } catch (e) {
      await this.releaseIps(ipv4.map((a) => ({ ...a, handleId: req.handleId })));
      throw e;
    }
    return { ipv4, ipv6 };
  }

  private handleState(handleId: string): HandleState {
    if (typeof handleId !== "string" || handleId.length === 0) {
      throw new TypeError("handleId must be a non-empty string");
    }
    // Assume a new handle (the common case: one per pod); a failed compare
    // returns the real one.
    return { key: this.keys.handle(handleId), handleId, value: undefined, modRevision: 0 };
  }

  private async assignFamily(
    family: Family,
    n: number,
    req: AutoAssignRequest,
    cfg: IpamConfig,
    handle: HandleState,
  ): Promise<AssignedIp[]> {
    if (!Number.isInteger(n) || n < 0)
      throw new TypeError(`num${family} must be a non-negative integer`);
    const pools = eligiblePools(cfg, {
      family,
      use: req.use ?? "Workload",
      nodeLabels: req.nodeLabels ?? {},
      selector: this.selector,
      ...(family === 4 && req.pools4 ? { pools: req.pools4 } : {}),
      ...(family === 6 && req.pools6 ? { pools: req.pools6 } : {}),
    });
    if (pools.length === 0) {
      throw new NoEligiblePoolError(
        family,
        cfg.pools.length === 0
          ? "no IP pools are configured"
          : `no enabled IPv${family} pool allows ${req.use ?? "Workload"} on node ${req.hostname}`,
      );
    }
    const attr = {
      handleId: req.handleId,
      secondary: { ...(req.attrs ?? {}), node: req.hostname },
    };
    const inPools = (cidr: string) => pools.some((p) => blockBelongs(p, cidr));
    const got: AssignedIp[] = [];
    const need = () => n - got.length;
    const host = req.hostname;
    try {
      // 1. Blocks affine to this host: first as cached (a block seen full is
      // skipped); when they do not suffice, re-read the host's affinities and
      // blocks (another client may have released) and try again.
      const tryAffine = async (cidrs: readonly string[]) => {
        for (const cidr of cidrs) {
          if (need() === 0) break;
          const known = this.blocks.get(cidr);
          if (known && known.value.unallocated.length === 0) continue;
          if (!inPools(cidr)) continue;
          got.push(...(await this.assignInBlock(cidr, need(), attr, cfg, handle, host)));
        }
      };
      const wasCached = this.hostBlocks.has(host);
      let mine = await this.affineBlocks(host, false);
      await this.loadBlocks(mine, false);
      await tryAffine(mine);
      if (need() > 0 && wasCached) {
        mine = await this.affineBlocks(host, true);
        await this.loadBlocks(mine, true);
        await tryAffine(mine);
      }
      // 2. Claim new blocks.
      while (need() > 0) {
        const mine = await this.affineBlocks(host, false);
        if (cfg.maxBlocksPerHost > 0 && mine.length >= cfg.maxBlocksPerHost) break;
        const cidr = await this.claimBlock(host, pools, cfg);
        if (!cidr) break;
        got.push(...(await this.assignInBlock(cidr, need(), attr, cfg, handle, host)));
      }
      // 3. Borrow from other hosts' blocks.
      if (need() > 0 && !cfg.strictAffinity) {
        for (const b of await this.listBlocks()) {
          if (need() === 0) break;
          if (!inPools(b.cidr) || b.unallocated.length === 0) continue;
          got.push(...(await this.assignInBlock(b.cidr, need(), attr, cfg, handle)));
        }
      }
    } catch (e) {
      if (got.length) await this.releaseIps(got.map((a) => ({ ...a, handleId: req.handleId })));
      throw e;
    }
    if (need() > 0) {
      if (got.length) await this.releaseIps(got.map((a) => ({ ...a, handleId: req.handleId })));
      throw new PoolExhaustedError(
        family,
        n,
        got.length,
        pools.map((p) => p.cidr),
      );
    }
    return got;
  }

  /**
   * Assigns up to `n` addresses in one block with compare-and-swap on the
   * block and the handle together. With `host`, only while the block is
   * still affine to it.
   */
  private async assignInBlock(
    cidr: string,
    n: number,
    attr: { handleId: string; secondary: Record<string, string> },
    cfg: IpamConfig,
    handle: HandleState,
    host?: string,
  ): Promise<AssignedIp[]> {
    const c = parseCidr(cidr);
    const excluded = reservedIn(cfg, c);
    const blockKey = this.keys.block(cidr);
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const entry = this.blocks.get(cidr) ?? (await this.readBlock(cidr));
      if (!entry) return [];
      if (host !== undefined && blockHost(entry.value) !== host) return [];
      const { block, assigned } = assign(entry.value, n, attr, excluded);
      if (assigned.length === 0) return [];
      const name = blockName(cidr);
      const nextHandle = adjustHandle(handle.value, handle.handleId, name, assigned.length)!;
      const r = await this.store.txn({
        compare: [
          { key: blockKey, modRevision: entry.modRevision },
          { key: handle.key, modRevision: handle.modRevision },
        ],
        ops: [
          { type: "put", key: blockKey, value: JSON.stringify(block) },
          { type: "put", key: handle.key, value: JSON.stringify(nextHandle) },
        ],
      });
      if (r.succeeded) {
        this.blocks.set(cidr, { value: block, modRevision: r.revision });
        handle.value = nextHandle;
        handle.modRevision = r.revision;
        return assigned.map((a) => ({ ip: a.ip, block: cidr, sequenceNumber: a.sequenceNumber }));
      }
      this.cacheBlock(cidr, r.current?.get(blockKey));
      const hk = r.current?.get(handle.key);
      handle.value = hk ? decodeHandle(hk) : undefined;
      handle.modRevision = hk?.modRevision ?? 0;
    }
    throw new ContentionError(`assign in block ${cidr}`, this.maxRetries);
  }

  /**
   * Claims a free block for `host` from the first pool that has one, with the
   * two-phase affinity described at the top of this file. Returns its CIDR,
   * or undefined when every eligible pool is fully carved into blocks.
   */
  private async claimBlock(
    host: string,
    pools: readonly Pool[],
    cfg: IpamConfig,
  ): Promise<string | undefined> {
    // Which blocks exist: names only (a keys-only listing, no block values).
    const existing = new Set(
      (await this.store.list(this.keys.blocksPrefix, { keysOnly: true })).kvs.map((kv) =>
        kv.key.slice(this.keys.blocksPrefix.length),
      ),
    );
    // Resume a claim a crash interrupted: a pending affinity of ours whose block is free.
    const pending = this.hostPending.get(host) ?? (await this.listAffinities(host));
    this.hostPending.set(host, []);
    for (const a of pending) {
      if (a.value.state !== "pending" || existing.has(blockName(a.value.cidr))) continue;
      if (!pools.some((p) => blockBelongs(p, a.value.cidr))) continue;
      if (await this.confirmClaim(host, a.value.cidr, a.modRevision)) return a.value.cidr;
    }
    for (const pool of pools) {
      const total = blockCount(pool);
      // Start at a host-specific block so that hosts claiming at once rarely collide.
      const start = BigInt(hashString(host)) % total;
      for (let i = 0n; i < total; i++) {
        const cidr = formatCidr(blockAt(pool, (start + i) % total));
        if (existing.has(blockName(cidr))) continue;
        if (isFullyReserved(cfg, cidr)) continue;
        const claimed = await this.tryClaim(host, cidr);
        if (claimed) return cidr;
        existing.add(blockName(cidr));
      }
    }
    return undefined;
  }

  private async tryClaim(host: string, cidr: string): Promise<boolean> {
    const affKey = this.keys.affinity(host, cidr);
    const pending: Affinity = { host, cidr, state: "pending" };
    const r1 = await this.store.txn({
      compare: [{ key: affKey, modRevision: 0 }],
      ops: [{ type: "put", key: affKey, value: JSON.stringify(pending) }],
    });
    let affRev = r1.revision;
    if (!r1.succeeded) {
      const cur = r1.current?.get(affKey);
      if (!cur) return false;
      affRev = cur.modRevision;
      if (decodeAffinity(cur).state === "confirmed") {
        const b = await this.readBlock(cidr);
        return b !== undefined && blockHost(b.value) === host;
      }
    }
    return this.confirmClaim(host, cidr, affRev);
  }

  private async confirmClaim(host: string, cidr: string, affRev: number): Promise<boolean> {
    const affKey = this.keys.affinity(host, cidr);
    const blockKey = this.keys.block(cidr);
    const block = emptyBlock(cidr, host);
    const confirmed: Affinity = { host, cidr, state: "confirmed" };
    const r = await this.store.txn({
      compare: [
        { key: blockKey, modRevision: 0 },
        { key: affKey, modRevision: affRev },
      ],
      ops: [
        { type: "put", key: blockKey, value: JSON.stringify(block) },
        { type: "put", key: affKey, value: JSON.stringify(confirmed) },
      ],
    });
    if (r.succeeded) {
      this.blocks.set(cidr, { value: block, modRevision: r.revision });
      const mine = this.hostBlocks.get(host) ?? [];
      this.hostBlocks.set(host, [...mine.filter((c) => c !== cidr), cidr]);
      return true;
    }
    const aff = r.current?.get(affKey);
    const blk = this.cacheBlock(cidr, r.current?.get(blockKey));
    if (blk && blockHost(blk.value) === host && aff) {
      // Our own block (a concurrent claim of this host won): confirm the affinity.
      await this.store.txn({
        compare: [{ key: affKey, modRevision: aff.modRevision }],
        ops: [{ type: "put", key: affKey, value: JSON.stringify(confirmed) }],
      });
      return true;
    }
    // Another host owns the block: withdraw our pending affinity.
    if (aff && decodeAffinity(aff).state === "pending") {
      await this.store.txn({
        compare: [{ key: affKey, modRevision: aff.modRevision }],
        ops: [{ type: "delete", key: affKey }],
      });
    }
    return false;
  }

  /**
   * Assigns one given address (Calico's `ipAddrs` annotation). Its block is
   * created affine to `hostname` when absent. Throws {@link AddressNotInPoolError},
   * {@link AddressReservedError} or {@link AddressInUseError}.
   */
  async assignIp(req: {
    ip: string;
    handleId: string;
    hostname: string;
    attrs?: Readonly<Record<string, string>>;
  }): Promise<AssignedIp> {
    const ip = parseIp(req.ip);
    return this.withFreshConfigOnMiss(AddressNotInPoolError, (cfg) =>
      this.assignIpWith(req, ip, cfg),
    );
  }

  private async assignIpWith(
    req: {
      ip: string;
      handleId: string;
      hostname: string;
      attrs?: Readonly<Record<string, string>>;
    },
    ip: ReturnType<typeof parseIp>,
    cfg: IpamConfig,
  ): Promise<AssignedIp> {
    const pool = poolOf(cfg, ip);
    if (!pool) throw new AddressNotInPoolError(req.ip);
    const c = blockOf(pool, ip);
    const cidr = formatCidr(c);
    const ordinal = ordinalOf(c, ip);
    if (reservedIn(cfg, c)(ordinal)) throw new AddressReservedError(req.ip);
    const handle = this.handleState(req.handleId);
    const attr = {
      handleId: req.handleId,
      secondary: { ...(req.attrs ?? {}), node: req.hostname },
    };
    const blockKey = this.keys.block(cidr);
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      let entry = this.blocks.get(cidr) ?? (await this.readBlock(cidr));
      if (!entry) {
        // Create the block, claiming it for the host if the host has no claim elsewhere on it.
        await this.tryClaim(req.hostname, cidr);
        entry = await this.readBlock(cidr);
        if (!entry) continue;
      }
      const r0 = assignOrdinal(entry.value, ordinal, attr);
      if (!r0) throw new AddressInUseError(req.ip, handleAt(entry.value, ordinal) ?? null);
      const nextHandle = adjustHandle(handle.value, handle.handleId, blockName(cidr), 1)!;
      const r = await this.store.txn({
        compare: [
          { key: blockKey, modRevision: entry.modRevision },
          { key: handle.key, modRevision: handle.modRevision },
        ],
        ops: [
          { type: "put", key: blockKey, value: JSON.stringify(r0.block) },
          { type: "put", key: handle.key, value: JSON.stringify(nextHandle) },
        ],
      });
      if (r.succeeded) {
        this.blocks.set(cidr, { value: r0.block, modRevision: r.revision });
        return { ip: r0.assigned.ip, block: cidr, sequenceNumber: r0.assigned.sequenceNumber };
      }
      this.cacheBlock(cidr, r.current?.get(blockKey));
      const hk = r.current?.get(handle.key);
      handle.value = hk ? decodeHandle(hk) : undefined;
      handle.modRevision = hk?.modRevision ?? 0;
    }
    throw new ContentionError(`assign ${req.ip}`, this.maxRetries);
  }

  // ---------------------------------------------------------------- release

  /**
   * Releases addresses (idempotent). A spec with `handleId` and/or
   * `sequenceNumber` releases only if the address still carries them, so a
   * stale release never frees a newer allocation of the same address.
   * Returns the addresses actually released.
   */
  async releaseIps(specs: readonly (string | ReleaseSpec)[]): Promise<string[]> {
    const cfg = await this.config();
    const byBlock = new Map<string, ReleaseRequest[]>();
    let listed = false;
    for (const s of specs) {
      const spec = typeof s === "string" ? { ip: s } : s;
      const ip = parseIp(spec.ip);
      const pool = poolOf(cfg, ip);
      let c = pool ? blockOf(pool, ip) : undefined;
      if (!c) {
        // The pool may be gone while its blocks remain: look for its block.
        const find = () =>
          [...this.blocks.values()].find((v) => ordinalOf(parseCidr(v.value.cidr), ip) >= 0);
        let b = find();
        if (!b && !listed) {
          await this.listBlocks();
          listed = true;
          b = find();
        }
        if (!b) throw new AddressNotInPoolError(spec.ip);
        c = parseCidr(b.value.cidr);
      }
      const cidr = formatCidr(c);
      const list = byBlock.get(cidr) ?? [];
      list.push({
        ordinal: ordinalOf(c, ip),
        ...(spec.handleId === undefined ? {} : { handleId: spec.handleId }),
        ...(spec.sequenceNumber === undefined ? {} : { sequenceNumber: spec.sequenceNumber }),
      });
      byBlock.set(cidr, list);
    }
    const out: string[] = [];
    for (const [cidr, reqs] of byBlock) out.push(...(await this.releaseInBlock(cidr, reqs)));
    return out;
  }

  private async releaseInBlock(cidr: string, reqs: readonly ReleaseRequest[]): Promise<string[]> {
    const blockKey = this.keys.block(cidr);
    const c = parseCidr(cidr);
    const name = blockName(cidr);
    let fresh = false;
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const entry = (fresh ? undefined : this.blocks.get(cidr)) ?? (await this.readBlock(cidr));
      fresh = false;
      if (!entry) return [];
      const { block, released } = release(entry.value, reqs);
      if (released.length === 0) {
        if (attempt === 0 && this.blocks.get(cidr) === entry) {
          fresh = true; // the cache may be stale: confirm with a read
          continue;
        }
        return [];
      }
      // Count released addresses per handle, and read those handles.
      const perHandle = new Map<string, number>();
      for (const r of released) {
        if (r.handleId !== null) perHandle.set(r.handleId, (perHandle.get(r.handleId) ?? 0) + 1);
      }
      const compare = [{ key: blockKey, modRevision: entry.modRevision }];
      const ops: TxnOp[] = [];
      for (const [h, count] of perHandle) {
        const key = this.keys.handle(h);
        const kv = await this.store.get(key);
        compare.push({ key, modRevision: kv?.modRevision ?? 0 });
        if (!kv) continue; // inconsistent (check reports it); the block is still freed
        const next = adjustHandle(decodeHandle(kv), h, name, -count);
        ops.push(
          next ? { type: "put", key, value: JSON.stringify(next) } : { type: "delete", key },
        );
      }
      // An empty block nobody is affine to is deleted (Calico deletes released borrowed blocks).
      const drop = isEmpty(block) && block.affinity === null;
      ops.push(
        drop
          ? { type: "delete", key: blockKey }
          : { type: "put", key: blockKey, value: JSON.stringify(block) },
      );
      const r = await this.store.txn({ compare, ops });
      if (r.succeeded) {
        if (drop) this.blocks.delete(cidr);
        else this.blocks.set(cidr, { value: block, modRevision: r.revision });
        return released.map((x) => ipAt(c, x.ordinal));
      }
      this.cacheBlock(cidr, r.current?.get(blockKey));
    }
    throw new ContentionError(`release in block ${cidr}`, this.maxRetries);
  }

  /** Releases every address of a handle and the handle itself (idempotent). Returns the addresses. */
  async releaseByHandle(handleId: string): Promise<string[]> {
    const key = this.keys.handle(handleId);
    const out: string[] = [];
    for (let attempt = 0; attempt < this.maxRetries; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) return out;
      const h = decodeHandle(kv);
      const name = Object.keys(h.block)[0];
      if (name === undefined) {
        await this.store.txn({
          compare: [{ key, modRevision: kv.modRevision }],
          ops: [{ type: "delete", key }],
        });
        continue;
      }
      const cidr = await this.cidrOfBlockName(name);
      const blockKey = cidr ? this.keys.block(cidr) : `${this.keys.blocksPrefix}${name}`;
      const entry = cidr ? (this.blocks.get(cidr) ?? (await this.readBlock(cidr))) : undefined;
      const next = adjustHandle(h, handleId, name, -(h.block[name] ?? 0));
      const handleOp: TxnOp = next
        ? { type: "put", key, value: JSON.stringify(next) }
        : { type: "delete", key };
      if (!entry || !cidr) {
        // The block is gone: drop it from the handle.
        await this.store.txn({
          compare: [
            { key, modRevision: kv.modRevision },
            { key: blockKey, modRevision: 0 },
          ],
          ops: [handleOp],
        });
        continue;
      }
      const ords = ordinalsOfHandle(entry.value, handleId);
      const { block } = release(
        entry.value,
        ords.map((ordinal) => ({ ordinal, handleId })),
      );
      const drop = isEmpty(block) && block.affinity === null;
      const r = await this.store.txn({
        compare: [
          { key, modRevision: kv.modRevision },
          { key: blockKey, modRevision: entry.modRevision },
        ],
        ops: [
          handleOp,
          drop
            ? { type: "delete", key: blockKey }
            : { type: "put", key: blockKey, value: JSON.stringify(block) },
        ],
      });
      if (r.succeeded) {
        if (drop) this.blocks.delete(cidr);
        else this.blocks.set(cidr, { value: block, modRevision: r.revision });
        out.push(...ords.map((o) => ipAt(parseCidr(cidr), o)));
        if (!next) return out;
      } else {
        this.cacheBlock(cidr, r.current?.get(blockKey));
      }
    }
    throw new ContentionError(`release handle ${handleId}`, this.maxRetries);
  }

  private async cidrOfBlockName(name: string): Promise<string | undefined> {
    for (const [cidr] of this.blocks) if (blockName(cidr) === name) return cidr;
    const kv = await this.store.get(`${this.keys.blocksPrefix}${name}`);
    if (!kv) return undefined;
    const b = decodeBlock(kv);
    this.blocks.set(b.cidr, { value: b, modRevision: kv.modRevision });
    return b.cidr;
  }

  /** The addresses a handle holds. */
  async ipsByHandle(handleId: string): Promise<string[]> {
    const kv = await this.store.get(this.keys.handle(handleId));
    if (!kv) return [];
    const out: string[] = [];
    for (const name of Object.keys(decodeHandle(kv).block)) {
      const bkv = await this.store.get(`${this.keys.blocksPrefix}${name}`);
      if (!bkv) continue;
      const b = decodeBlock(bkv);
      const c = parseCidr(b.cidr);
      for (const o of ordinalsOfHandle(b, handleId)) out.push(ipAt(c, o));
    }
    return out;
  }

  /**
   * Releases a host's block affinities (node removed): empty blocks are
   * deleted; blocks still in use lose their affinity and stay, borrowable.
   */
  async releaseHostAffinities(host: string): Promise<{ deleted: string[]; orphaned: string[] }> {
    return this.releaseAffinities(host, {});
  }

  /**
   * Releases the affinity of one block of a host if the block is empty (the
   * block is deleted with it). Returns false when the block is in use (or
   * not affine to the host), leaving it as it is.
   */
  async releaseBlockAffinity(host: string, cidr: string): Promise<boolean> {
    const r = await this.releaseAffinities(host, {
      cidr: formatCidr(parseCidr(cidr)),
      emptyOnly: true,
    });
    return r.deleted.length > 0;
  }

  private async releaseAffinities(
    host: string,
    opts: { cidr?: string; emptyOnly?: boolean },
  ): Promise<{ deleted: string[]; orphaned: string[] }> {
    const deleted: string[] = [];
    const orphaned: string[] = [];
    for (const a of await this.listAffinities(host)) {
      const cidr = a.value.cidr;
      if (opts.cidr !== undefined && cidr !== opts.cidr) continue;
      const affKey = this.keys.affinity(host, cidr);
      const blockKey = this.keys.block(cidr);
      for (let attempt = 0; ; attempt++) {
        if (attempt >= this.maxRetries)
          throw new ContentionError(`release affinity ${cidr}`, attempt);
        const affKv = await this.store.get(affKey);
        if (!affKv) break;
        const entry = await this.readBlock(cidr);
        const ops: TxnOp[] = [{ type: "delete", key: affKey }];
        let outcome: "deleted" | "orphaned" | "none" = "none";
        if (opts.emptyOnly && !(entry && blockHost(entry.value) === host && isEmpty(entry.value)))
          break;
        if (entry && blockHost(entry.value) === host) {
          if (isEmpty(entry.value)) {
            ops.push({ type: "delete", key: blockKey });
            outcome = "deleted";
          } else {
            ops.push({
              type: "put",
              key: blockKey,
              value: JSON.stringify({ ...entry.value, affinity: null }),
            });
            outcome = "orphaned";
          }
        }
        const r = await this.store.txn({
          compare: [
            { key: affKey, modRevision: affKv.modRevision },
            { key: blockKey, modRevision: entry?.modRevision ?? 0 },
          ],
          ops,
        });
        if (r.succeeded) {
          this.blocks.delete(cidr);
          if (outcome === "deleted") deleted.push(cidr);
          if (outcome === "orphaned") orphaned.push(cidr);
          break;
        }
      }
    }
    if (opts.cidr === undefined) {
      this.hostBlocks.delete(host);
      this.hostPending.delete(host);
    } else {
      this.hostBlocks.set(
        host,
        (this.hostBlocks.get(host) ?? []).filter((c) => !deleted.includes(c)),
      );
    }
    return { deleted, orphaned };
  }

  /** Forgets cached blocks and affinities (after another client changed them in bulk). */
  invalidateCache(): void {
    this.blocks.clear();
    this.hostBlocks.clear();
    this.hostPending.clear();
    this.cfg = undefined;
  }
}

/** True when block `cidr` lies in pool `p` (and has the pool's block size). */
export function blockBelongs(p: Pool, cidr: string): boolean {
  const c = parseCidr(cidr);
  const pc = parseCidr(p.cidr);
  return c.family === pc.family && c.prefix === p.blockSize && overlapsCidr(c, pc);
}

function overlapsCidr(a: ReturnType<typeof parseCidr>, b: ReturnType<typeof parseCidr>): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const bits = a.family === 4 ? 32 : 128;
  const shift = BigInt(bits - p);
  return a.base >> shift === b.base >> shift;
}

function isFullyReserved(cfg: IpamConfig, cidr: string): boolean {
  if (cfg.reservations.length === 0) return false;
  return cfg.reservations.some((r) => {
    const rc = parseCidr(r);
    const c = parseCidr(cidr);
    return rc.family === c.family && rc.prefix <= c.prefix && overlapsCidr(rc, c);
  });
}

function hostCidr(ip: string): string {
  return `${ip}/${parseIp(ip).family === 4 ? 32 : 128}`;
}

/** Re-exported for callers assembling AssignedIp lists. */
export type { Assigned };
