// Pool validation, overlap checks, eligibility and block enumeration.
// Calico's rules (IPPool reference): blockSize 20–32 for IPv4 and 116–128
// for IPv6, defaults 26 and 122; the block must not be larger than the pool;
// pools must not overlap.
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
  InvalidAddressError,
  InvalidPoolError,
  PoolOverlapError,
  SelectorUnsupportedError,
} from "./errors.js";
import type { AllowedUse, IpamConfig, Pool, PoolInput } from "./model.js";

/** Evaluates a Calico selector against labels (inject `@tortie/selector`'s evaluator). */
export type SelectorFn = (selector: string, labels: Readonly<Record<string, string>>) => boolean;

/** The built-in evaluator: knows only `all()` (and the empty selector). */
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
  if (!Number.isInteger(cfg.maxBlocksPerHost) || cfg.maxBlocksPerHost < 0) {
    throw new InvalidPoolError("(config)", "maxBlocksPerHost", "must be a non-negative integer");
  }
}

/** The pool containing `ip`, if any. */
export function poolOf(cfg: IpamConfig, ip: Ip): Pool | undefined {
  return cfg.pools.find((p) => contains(parseCidr(p.cidr), ip));
}

/** What an automatic assignment asks of pools. */
export interface EligibilityQuery {
  readonly family: Family;
  /** Named pools (by name or CIDR); when given, only these, even Manual ones. */
  readonly pools?: readonly string[];
  readonly use: AllowedUse;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly selector: SelectorFn;
}

/** Pools an automatic assignment may use, in configuration order. */
export function eligiblePools(cfg: IpamConfig, q: EligibilityQuery): Pool[] {
  const named = q.pools;
  if (named) {
    for (const n of named) {
      if (!cfg.pools.some((p) => p.name === n || p.cidr === n)) {
        throw new InvalidAddressError(`${n} (no such pool)`);
      }
    }
  }
  return cfg.pools.filter((p) => {
    if (parseCidr(p.cidr).family !== q.family || p.disabled) return false;
    if (named && !named.includes(p.name) && !named.includes(p.cidr)) return false;
    if (!named && p.assignmentMode === "Manual") return false;
    if (!p.allowedUses.includes(q.use)) return false;
    return q.selector(p.nodeSelector, q.nodeLabels);
  });
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
