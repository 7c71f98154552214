// Pool validation, overlap checks, eligibility and block enumeration.
// Calico's rules (IPPool reference): blockSize 20–32 for IPv4 and 116–128
// for IPv6, defaults 26 and 122; the block must not be larger than the pool;
// pools must not overlap.

import { parseSelector, type Selector } from "@tortie/selector";
import {
  type Cidr,
  contains,
  type Family,
  formatCidr,
  type Ip,
  maskOf,
  overlaps,
  parseCidr,
  parseIp,
  sizeOf,
} from "./cidr.js";
import {
  HostReservedAttrError,
  InvalidPoolError,
  IpamConfigConflictError,
  NoEligiblePoolError,
  PoolFamilyError,
  PoolOverlapError,
  RequestedPoolError,
  SelectorUnsupportedError,
} from "./errors.js";
import type { AllowedUse, HostReservedAttr, IpamConfig, Pool, PoolInput } from "./model.js";

/** Evaluates a Calico selector against labels. */
export type SelectorFn = (selector: string, labels: Readonly<Record<string, string>>) => boolean;

const compiled = new Map<string, Selector>();

/**
 * The default evaluator: Calico's selector language (`@tortie/selector`),
 * each selector parsed once. An empty selector selects every node, as
 * Calico's IPPool nodeSelector does.
 */
export const calicoSelector: SelectorFn = (selector, labels) => {
  let s = compiled.get(selector);
  if (!s) {
    s = parseSelector(selector.trim() === "" ? "all()" : selector);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(selector, s);
  }
  return s.evaluate(labels);
};

/** True for the selectors that select every node without looking at labels. */
export function selectsAll(selector: string): boolean {
  const s = selector.trim();
  return s === "" || s === "all()";
}

/** An evaluator that knows only `all()` (and the empty selector); others throw {@link SelectorUnsupportedError}. */
export const allOnly: SelectorFn = (selector) => {
  const s = selector.trim();
  if (s === "" || s === "all()") return true;
  throw new SelectorUnsupportedError(selector);
};

const USES: readonly AllowedUse[] = ["Workload", "Tunnel", "LoadBalancer"];

/** Fills defaults and validates one pool; throws {@link InvalidPoolError}. */
export function normalizePool(p: PoolInput): Pool {
  const name = p.name;
  if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw new InvalidPoolError(String(name), "name", "must be a DNS-1123 subdomain");
  }
  let c: Cidr;
  try {
    c = parseCidr(p.cidr);
  } catch {
    throw new InvalidPoolError(name, "cidr", `not a valid CIDR: ${JSON.stringify(p.cidr)}`);
  }
  if (parseIp(p.cidr.split("/")[0]!).value !== c.base) {
    throw new InvalidPoolError(name, "cidr", `${p.cidr} has host bits set (use ${formatCidr(c)})`);
  }
  const blockSize = p.blockSize ?? (c.family === 4 ? 26 : 122);
  const [lo, hi] = c.family === 4 ? [20, 32] : [116, 128];
  if (!Number.isInteger(blockSize) || blockSize < lo || blockSize > hi) {
    throw new InvalidPoolError(
      name,
      "blockSize",
      `must be between ${lo} and ${hi} for IPv${c.family}, got ${blockSize}`,
    );
  }
  if (blockSize < c.prefix) {
    throw new InvalidPoolError(
      name,
      "blockSize",
      `a /${blockSize} block is larger than the pool ${formatCidr(c)}`,
    );
  }
  const allowedUses = p.allowedUses ?? ["Workload", "Tunnel"];
  for (const u of allowedUses) {
    if (!USES.includes(u)) {
      throw new InvalidPoolError(name, "allowedUses", `unknown use ${JSON.stringify(u)}`);
    }
  }
  const assignmentMode = p.assignmentMode ?? "Automatic";
  if (assignmentMode !== "Automatic" && assignmentMode !== "Manual") {
    throw new InvalidPoolError(name, "assignmentMode", `must be Automatic or Manual`);
  }
  return {
    name,
    cidr: formatCidr(c),
    blockSize,
    disabled: p.disabled ?? false,
    nodeSelector: p.nodeSelector ?? "all()",
    allowedUses,
    assignmentMode,
  };
}

/** Validates a whole configuration: every pool, unique names, no overlaps, valid reservations. */
export function validateConfig(cfg: IpamConfig): void {
  const seen = new Map<string, Pool>();
  for (const p of cfg.pools) {
    normalizePool(p);
    if (seen.has(p.name)) throw new InvalidPoolError(p.name, "name", "duplicate pool name");
    for (const q of seen.values()) {
      if (overlaps(parseCidr(p.cidr), parseCidr(q.cidr)))
        throw new PoolOverlapError(p.cidr, q.cidr);
    }
    seen.set(p.name, p);
  }
  for (const r of cfg.reservations) parseCidr(r);
  validateIpamSettings(cfg);
}

/**
 * Checks the IPAMConfiguration settings as Calico's `SetIPAMConfig` does:
 * strictAffinity and autoAllocateBlocks may not both be off, and
 * maxBlocksPerHost needs strictAffinity. Throws {@link IpamConfigConflictError}.
 */
export function validateIpamSettings(
  cfg: Pick<IpamConfig, "strictAffinity" | "maxBlocksPerHost" | "autoAllocateBlocks">,
): void {
  if (!Number.isInteger(cfg.maxBlocksPerHost) || cfg.maxBlocksPerHost < 0) {
    throw new IpamConfigConflictError("maxBlocksPerHost", "must be a non-negative integer");
  }
  if (typeof cfg.strictAffinity !== "boolean" || typeof cfg.autoAllocateBlocks !== "boolean") {
    throw new IpamConfigConflictError("strictAffinity/autoAllocateBlocks", "must be true or false");
  }
  if (!cfg.strictAffinity && !cfg.autoAllocateBlocks) {
    throw new IpamConfigConflictError(
      "autoAllocateBlocks",
      "cannot disable 'StrictAffinity' and 'AutoAllocateBlocks' at the same time",
    );
  }
  if (cfg.maxBlocksPerHost > 0 && !cfg.strictAffinity) {
    throw new IpamConfigConflictError(
      "maxBlocksPerHost",
      "MaxBlocksPerHost requires StrictAffinity to be enabled",
    );
  }
}

/** The pool containing `ip`, if any (disabled pools too). */
export function poolOf(cfg: IpamConfig, ip: Ip): Pool | undefined {
  return cfg.pools.find((p) => contains(parseCidr(p.cidr), ip));
}

/** A pool named by name or CIDR. */
export function poolNamed(cfg: IpamConfig, n: string): Pool | undefined {
  return cfg.pools.find((p) => p.name === n || p.cidr === n);
}

/**
 * The longest block prefix whose blocks still have room next to the
 * host-reserved addresses (Calico `getMaxPrefixLen`).
 */
export function maxPrefixLen(family: Family, attr: HostReservedAttr | undefined): number {
  const bits = family === 4 ? 32 : 128;
  if (!attr) return bits;
  const n = attr.startOfBlock + attr.endOfBlock;
  if (!Number.isInteger(n) || attr.startOfBlock < 0 || attr.endOfBlock < 0) {
    throw new HostReservedAttrError("startOfBlock and endOfBlock must be non-negative integers");
  }
  if (n === 0) return bits;
  const max = bits - n.toString(2).length;
  if (max <= 0) throw new HostReservedAttrError(`${n} reserved addresses per block`);
  return max;
}

/** What an automatic assignment asks of pools (Calico `determinePools` + `filterPoolsByUse`). */
export interface PoolQuery {
  readonly family: Family;
  /** Requested pools (by name or CIDR): used even where their nodeSelector excludes the node. */
  readonly requested?: readonly string[];
  readonly use: AllowedUse;
  readonly host: string;
  readonly selector: SelectorFn;
  /** The node's labels; needed only when a selector other than all() is evaluated. */
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Pools with blocks smaller than this prefix are skipped (host-reserved addresses). */
  readonly maxPrefixLen: number;
}

/** The pools an assignment selects, and of those the ones its use allows. */
export interface PoolChoice {
  /** Pools selecting the node (or requested). */
  readonly selecting: readonly Pool[];
  /** Of those, the pools allowing the use, in configuration order. */
  readonly allowed: readonly Pool[];
}

/** True when `determinePools` needs the node's labels for `q`. */
export function needsLabels(cfg: IpamConfig, family: Family, requested: boolean): boolean {
  if (requested) return false;
  return cfg.pools.some(
    (p) =>
      parseCidr(p.cidr).family === family &&
      !p.disabled &&
      p.assignmentMode === "Automatic" &&
      !selectsAll(p.nodeSelector),
  );
}

/**
 * Chooses pools as Calico's `determinePools` and `prepareAffinityBlocksForHost`
 * do: requested pools must exist, be enabled and of the family (then they are
 * used whatever their nodeSelector and assignmentMode); otherwise every
 * enabled Automatic pool whose nodeSelector selects the node. Then only pools
 * allowing the use remain. Throws {@link PoolFamilyError},
 * {@link RequestedPoolError} or {@link NoEligiblePoolError}.
 */
export function determinePools(cfg: IpamConfig, q: PoolQuery): PoolChoice {
  const requested = (q.requested ?? []).map((n) => {
    const p = poolNamed(cfg, n);
    if (p && parseCidr(p.cidr).family !== q.family) throw new PoolFamilyError(n, q.family);
    return { n, p };
  });
  const enabled = cfg.pools.filter(
    (p) => parseCidr(p.cidr).family === q.family && !p.disabled && p.blockSize <= q.maxPrefixLen,
  );
  if (enabled.length === 0) {
    throw new NoEligiblePoolError(
      q.family,
      cfg.pools.length === 0
        ? "no IP pools are configured"
        : `cannot find a qualified ippool (no enabled IPv${q.family} pool${q.maxPrefixLen < (q.family === 4 ? 32 : 128) ? ` with blocks of /${q.maxPrefixLen} or larger` : ""})`,
    );
  }
  let selecting: Pool[];
  if (requested.length > 0) {
    selecting = requested.map(({ n, p }) => {
      if (!p) throw new RequestedPoolError(n, "unknown");
      if (!enabled.includes(p)) throw new RequestedPoolError(n, "disabled");
      return p;
    });
  } else {
    selecting = enabled.filter(
      (p) => p.assignmentMode === "Automatic" && selects(p, q.labels, q.selector),
    );
  }
  if (selecting.length === 0) {
    throw new NoEligiblePoolError(q.family, `no configured Calico pools for node ${q.host}`);
  }
  const allowed = selecting.filter((p) => p.allowedUses.includes(q.use));
  if (allowed.length === 0) {
    throw new NoEligiblePoolError(
      q.family,
      `cannot find a qualified ippool, no pools match the required use (${q.use}) on node ${q.host}`,
    );
  }
  return { selecting, allowed };
}

/** True when pool `p` selects a node with `labels` (Calico `SelectsNode`). */
export function selects(
  p: Pool,
  labels: Readonly<Record<string, string>> | undefined,
  selector: SelectorFn,
): boolean {
  if (selectsAll(p.nodeSelector)) return true;
  return selector(p.nodeSelector, labels ?? {});
}

/** True when block `cidr` lies in pool `p` (and has the pool's block size). */
export function blockBelongs(p: Pool, cidr: string): boolean {
  const c = parseCidr(cidr);
  const pc = parseCidr(p.cidr);
  return c.family === pc.family && c.prefix === p.blockSize && overlaps(c, pc);
}

/** True when reservations cover the whole block (Calico `MatchesWholeCIDR`). */
export function isFullyReserved(cfg: IpamConfig, cidr: string): boolean {
  if (cfg.reservations.length === 0) return false;
  const c = parseCidr(cidr);
  return cfg.reservations.some((r) => {
    const rc = parseCidr(r);
    return rc.family === c.family && rc.prefix <= c.prefix && overlaps(rc, c);
  });
}

/** `ip` as a host prefix (/32 or /128). */
export function hostCidr(ip: string): string {
  return `${ip}/${parseIp(ip).family === 4 ? 32 : 128}`;
}

/** Number of blocks in a pool (a bigint: an IPv6 pool can hold 2^58 blocks). */
export function blockCount(p: Pool): bigint {
  const c = parseCidr(p.cidr);
  return sizeOf(c) / (1n << BigInt((c.family === 4 ? 32 : 128) - p.blockSize));
}

/** The i-th block CIDR of a pool. */
export function blockAt(p: Pool, i: bigint): Cidr {
  const c = parseCidr(p.cidr);
  const step = 1n << BigInt((c.family === 4 ? 32 : 128) - p.blockSize);
  return { family: c.family, base: c.base + i * step, prefix: p.blockSize };
}

/** The block of pool `p` that contains `ip`. */
export function blockOf(p: Pool, ip: Ip): Cidr {
  return {
    family: ip.family,
    base: ip.value & maskOf(ip.family, p.blockSize),
    prefix: p.blockSize,
  };
}

/** A predicate telling whether an address of block `c` is reserved (ordinal-based, for `assign`). */
export function reservedIn(cfg: IpamConfig, c: Cidr): (ordinal: number) => boolean {
  const rs = cfg.reservations.map(parseCidr).filter((r) => overlaps(r, c));
  if (rs.length === 0) return () => false;
  return (o) => {
    const ip: Ip = { family: c.family, value: c.base + BigInt(o) };
    return rs.some((r) => contains(r, ip));
  };
}

/** A small deterministic hash (FNV-1a) for spreading hosts over a pool's blocks. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
