// Reading and writing IPAM records as JSON values of datastore keys, with
// shape checks so that foreign or corrupted data fails with a typed error.
import type { KeyValue } from "@tortie/datastore";
import { CorruptDataError } from "./errors.js";
import type { Affinity, Block, Handle, IpamConfig } from "./model.js";

/** A record with the revision it was read at (0 when absent). */
export interface Versioned<T> {
  readonly value: T;
  readonly modRevision: number;
}

function parse(kv: KeyValue): unknown {
  try {
    return JSON.parse(kv.value);
  } catch {
    throw new CorruptDataError(kv.key, "not JSON");
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Decodes a block record. */
export function decodeBlock(kv: KeyValue): Block {
  const v = parse(kv);
  if (
    !isObj(v) ||
    typeof v.cidr !== "string" ||
    !Array.isArray(v.allocations) ||
    !Array.isArray(v.unallocated) ||
    !Array.isArray(v.attributes) ||
    typeof v.sequenceNumber !== "number" ||
    !isObj(v.sequenceNumberForAllocation)
  ) {
    throw new CorruptDataError(kv.key, "not an allocation block");
  }
  return v as unknown as Block;
}

/** Decodes a handle record. */
export function decodeHandle(kv: KeyValue): Handle {
  const v = parse(kv);
  if (!isObj(v) || typeof v.handleId !== "string" || !isObj(v.block)) {
    throw new CorruptDataError(kv.key, "not an IPAM handle");
  }
  return v as unknown as Handle;
}

/** Decodes an affinity record. */
export function decodeAffinity(kv: KeyValue): Affinity {
  const v = parse(kv);
  if (
    !isObj(v) ||
    typeof v.host !== "string" ||
    typeof v.cidr !== "string" ||
    (v.state !== "pending" && v.state !== "confirmed")
  ) {
    throw new CorruptDataError(kv.key, "not a block affinity");
  }
  return v as unknown as Affinity;
}

/** Decodes the configuration record. */
export function decodeConfig(kv: KeyValue): IpamConfig {
  const v = parse(kv);
  if (!isObj(v) || !Array.isArray(v.pools) || !Array.isArray(v.reservations)) {
    throw new CorruptDataError(kv.key, "not an IPAM configuration");
  }
  // Records written before autoAllocateBlocks existed mean Calico's default
  // (true); added last, so that the key order is that of a fresh config.
  if ("autoAllocateBlocks" in v) return v as unknown as IpamConfig;
  return { ...v, autoAllocateBlocks: true } as unknown as IpamConfig;
}

/** Adds `delta` addresses of block `name` to a handle; undefined when it holds none after. */
export function adjustHandle(
  h: Handle | undefined,
  handleId: string,
  name: string,
  delta: number,
): Handle | undefined {
  const block: Record<string, number> = { ...(h?.block ?? {}) };
  const n = (block[name] ?? 0) + delta;
  if (n > 0) block[name] = n;
  else delete block[name];
  return Object.keys(block).length === 0 ? undefined : { handleId, block };
}
