// Configuration operations: pools, reservations and the IPAMConfiguration
// settings, each one compare-and-swap on the single configuration key (so
// pool changes are atomic). Calico: `SetIPAMConfig` / `GetIPAMConfig`
// (ipam.go) and the IPPool validation of its API server.
import { closest } from "@tortie/api";
import { formatCidr, overlaps, parseCidr } from "./cidr.js";
import type { IpamCore } from "./core.js";
import {
  ContentionError,
  InvalidPoolError,
  IpamConfigConflictError,
  PoolOverlapError,
} from "./errors.js";
import { EMPTY_CONFIG, type IpamConfig, type Pool, type PoolInput } from "./model.js";
import { hostCidr, normalizePool, validateConfig } from "./pools.js";
import { decodeConfig } from "./records.js";

/** Changes the configuration with compare-and-swap; `change` may throw to refuse. */
export async function updateConfig(
  core: IpamCore,
  change: (cfg: IpamConfig) => IpamConfig,
): Promise<IpamConfig> {
  const key = core.keys.config;
  for (let attempt = 0; attempt < core.maxRetries; attempt++) {
    const kv = await core.store.get(key);
    const cur = kv ? decodeConfig(kv) : EMPTY_CONFIG;
    const next = change(cur);
    validateConfig(next);
    const r = await core.store.txn({
      compare: [{ key, modRevision: kv?.modRevision ?? 0 }],
      ops: [{ type: "put", key, value: JSON.stringify(next) }],
    });
    if (r.succeeded) {
      core.cfg = { value: next, modRevision: r.revision, readAt: core.now() };
      return next;
    }
  }
  throw new ContentionError("update IPAM configuration", core.maxRetries);
}

/** Adds (or replaces, by name) a pool; throws {@link PoolOverlapError} or {@link InvalidPoolError}. */
export async function applyPool(core: IpamCore, input: PoolInput): Promise<Pool> {
  const pool = normalizePool(input);
  await updateConfig(core, (cfg) => {
    const old = cfg.pools.find((p) => p.name === pool.name);
    if (old && (old.cidr !== pool.cidr || old.blockSize !== pool.blockSize)) {
      // Calico forbids changing an existing pool's CIDR or blockSize.
      throw new InvalidPoolError(pool.name, "cidr", "cidr and blockSize of a pool cannot change");
    }
    const others = cfg.pools.filter((p) => p.name !== pool.name);
    for (const o of others) {
      if (overlaps(parseCidr(o.cidr), parseCidr(pool.cidr)))
        throw new PoolOverlapError(pool.cidr, o.cidr);
    }
    return { ...cfg, pools: [...others, pool] };
  });
  return pool;
}

/** Removes a pool by name (its blocks stay until released). */
export async function deletePool(core: IpamCore, name: string): Promise<void> {
  await updateConfig(core, (cfg) => ({ ...cfg, pools: cfg.pools.filter((p) => p.name !== name) }));
}

/** Sets the reserved CIDRs (the union of all IPReservations). */
export async function setReservations(core: IpamCore, cidrs: readonly string[]): Promise<void> {
  const norm = cidrs.map((c) => formatCidr(parseCidr(c.includes("/") ? c : hostCidr(c))));
  await updateConfig(core, (cfg) => ({ ...cfg, reservations: norm }));
}

/** The IPAMConfiguration settings. */
export interface IpamSettings {
  readonly strictAffinity?: boolean;
  readonly maxBlocksPerHost?: number;
  readonly autoAllocateBlocks?: boolean;
}

/**
 * Sets IPAMConfiguration's strictAffinity, maxBlocksPerHost and
 * autoAllocateBlocks (fields left out keep their value), validated as
 * Calico's `SetIPAMConfig` validates them: throws
 * {@link IpamConfigConflictError} and writes nothing.
 */
export async function setIpamConfiguration(core: IpamCore, c: IpamSettings): Promise<void> {
  checkSettingKeys(c);
  await updateConfig(core, (cfg) => ({
    ...cfg,
    strictAffinity: c.strictAffinity ?? cfg.strictAffinity,
    maxBlocksPerHost: c.maxBlocksPerHost ?? cfg.maxBlocksPerHost,
    autoAllocateBlocks: c.autoAllocateBlocks ?? cfg.autoAllocateBlocks,
  }));
}

const SETTINGS: readonly (keyof IpamSettings)[] = [
  "strictAffinity",
  "maxBlocksPerHost",
  "autoAllocateBlocks",
];

/** Rejects keys that are not settings, naming the closest valid one. */
function checkSettingKeys(c: object): void {
  for (const k of Object.keys(c)) {
    if ((SETTINGS as readonly string[]).includes(k)) continue;
    const near = closest(k, SETTINGS);
    throw new IpamConfigConflictError(
      k,
      `unknown setting${near ? ` (did you mean ${near}?)` : ""}`,
    );
  }
}
