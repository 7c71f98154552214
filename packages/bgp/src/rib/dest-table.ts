// The Loc-RIB's destination index: prefix → entry. A full IPv4 table is a
// million destinations, so IPv4 prefixes live in an open-addressing hash
// table over typed arrays (address and length as numbers: no key string, no
// per-key heap object, ~20 octets per destination plus the value pointer);
// every other family uses a `Map` keyed by `ribKey`. Linear probing with
// backward-shift deletion (Knuth, TAOCP vol. 3, §6.4, Algorithm R), so there
// are no tombstones and lookups stay short after heavy churn.
import type { Prefix } from "../wire/prefix.js";
import { prefixFromKey, ribKey } from "./keys.js";

const EMPTY = 0xff;

/** The address of an IPv4 prefix as an unsigned 32-bit number. */
export function v4addr(p: Prefix): number {
  const b = p.bytes;
  return ((b[0] ?? 0) * 0x1000000 + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0)) >>> 0;
}

function hash(addr: number, len: number): number {
  let h = Math.imul(addr ^ (len * 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The IPv4 prefix `addr`/`length` as an object. */
export function v4prefix(addr: number, length: number): Prefix {
  const n = (length + 7) >> 3;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (addr >>> (24 - 8 * i)) & 255;
  return { afi: 1, length, bytes };
}

/** An array of `size` empty value slots. */
function valueArray<V>(size: number): (V | undefined)[] {
  return new Array<V | undefined>(size);
}

/** Prefix → value, IPv4 in typed arrays, everything else in a Map. */
export class DestTable<V> {
  #addr: Uint32Array;
  #len: Uint8Array;
  #vals: (V | undefined)[];
  #mask: number;
  #v4 = 0;
  /** The empty slot the last missed `get` ended on (a following `set` of the same prefix reuses it). */
  #missAddr = -1;
  #missLen = -1;
  #missSlot = -1;
  readonly #other = new Map<string, V>();

  /** Creates an empty table with room for `capacity` IPv4 destinations before growing. */
  constructor(capacity = 1024) {
    let size = 16;
    while (size * 0.7 < capacity) size *= 2;
    this.#addr = new Uint32Array(size);
    this.#len = new Uint8Array(size).fill(EMPTY);
    this.#vals = valueArray<V>(size);
    this.#mask = size - 1;
  }

  /** Number of destinations. */
  get size(): number {
    return this.#v4 + this.#other.size;
  }

  #slot(addr: number, len: number): number {
    let i = hash(addr, len) & this.#mask;
    for (;;) {
      const l = this.#len[i]!;
      if (l === EMPTY) return ~i;
      if (l === len && this.#addr[i] === addr) return i;
      i = (i + 1) & this.#mask;
    }
  }

  /** The value at a prefix (its `pathId` is ignored). */
  get(p: Prefix): V | undefined {
    if (p.afi !== 1) return this.#other.get(ribKey(p));
    return this.getV4(v4addr(p), p.length);
  }

  /** The value at the IPv4 prefix `addr`/`length` (`addr` as an unsigned 32-bit number). */
  getV4(addr: number, length: number): V | undefined {
    const i = this.#slot(addr, length);
    if (i >= 0) return this.#vals[i];
    this.#missAddr = addr;
    this.#missLen = length;
    this.#missSlot = ~i;
    return undefined;
  }

  /** Sets the value at a prefix. */
  set(p: Prefix, v: V): void {
    if (p.afi !== 1) {
      this.#other.set(ribKey(p), v);
      return;
    }
    this.setV4(v4addr(p), p.length, v);
  }

  /** Sets the value at the IPv4 prefix `addr`/`length`. */
  setV4(addr: number, length: number, v: V): void {
    let at: number;
    if (
      addr === this.#missAddr &&
      length === this.#missLen &&
      this.#len[this.#missSlot] === EMPTY
    ) {
      at = this.#missSlot;
    } else {
      const i = this.#slot(addr, length);
      if (i >= 0) {
        this.#vals[i] = v;
        return;
      }
      at = ~i;
    }
    this.#missSlot = -1;
    this.#missLen = -1;
    this.#addr[at] = addr;
    this.#len[at] = length;
    this.#vals[at] = v;
    if (++this.#v4 > (this.#mask + 1) * 0.7) this.#grow();
  }

  /** Removes a prefix; true if it was there. */
  delete(p: Prefix): boolean {
    if (p.afi !== 1) return this.#other.delete(ribKey(p));
    this.#missLen = -1;
    let i = this.#slot(v4addr(p), p.length);
    if (i < 0) return false;
    this.#v4--;
    // Backward-shift deletion: move later members of the probe run into the hole.
    const mask = this.#mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const l = this.#len[j]!;
      if (l === EMPTY) break;
      const home = hash(this.#addr[j]!, l) & mask;
      // Move j to i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      this.#addr[i] = this.#addr[j]!;
      this.#len[i] = l;
      this.#vals[i] = this.#vals[j];
      i = j;
    }
    this.#len[i] = EMPTY;
    this.#vals[i] = undefined;
    return true;
  }

  /**
   * Doubles the table. The old keys are distinct, so each goes to the first
   * empty slot of its probe run; the loop works on locals, not on the
   * private fields (a full IPv4 table grows through ten doublings).
   */
  #grow(): void {
    this.#missLen = -1;
    const oldAddr = this.#addr;
    const oldLen = this.#len;
    const oldVals = this.#vals;
    const size = (this.#mask + 1) * 2;
    const mask = size - 1;
    const addr = new Uint32Array(size);
    const len = new Uint8Array(size).fill(EMPTY);
    const vals = valueArray<V>(size);
    for (let k = 0; k < oldLen.length; k++) {
      const l = oldLen[k]!;
      if (l === EMPTY) continue;
      const a = oldAddr[k]!;
      let i = hash(a, l) & mask;
      while (len[i] !== EMPTY) i = (i + 1) & mask;
      addr[i] = a;
      len[i] = l;
      vals[i] = oldVals[k];
    }
    this.#addr = addr;
    this.#len = len;
    this.#vals = vals;
    this.#mask = mask;
  }

  /** Every (prefix, value); the prefix objects are made on the way. Do not mutate the table while iterating. */
  *entries(): IterableIterator<[Prefix, V]> {
    const len = this.#len;
    for (let k = 0; k < len.length; k++) {
      if (len[k] !== EMPTY) yield [v4prefix(this.#addr[k]!, len[k]!), this.#vals[k] as V];
    }
    for (const [key, v] of this.#other) yield [prefixFromKey(key), v];
  }

  /**
   * Calls `fn` for every (prefix, value), without the iterator and tuple
   * `entries` allocates per destination. Do not mutate the table meanwhile.
   */
  forEach(fn: (p: Prefix, v: V) => void): void {
    const len = this.#len;
    const addr = this.#addr;
    const vals = this.#vals;
    for (let k = 0; k < len.length; k++) {
      const l = len[k]!;
      if (l !== EMPTY) fn(v4prefix(addr[k]!, l), vals[k] as V);
    }
    for (const [key, v] of this.#other) fn(prefixFromKey(key), v);
  }

  /** Replaces every value by `fn(value)` (same keys; no prefix objects are made). */
  mapValues(fn: (v: V) => V): void {
    const len = this.#len;
    for (let k = 0; k < len.length; k++)
      if (len[k] !== EMPTY) this.#vals[k] = fn(this.#vals[k] as V);
    for (const [key, v] of this.#other) this.#other.set(key, fn(v));
  }

  /** The prefixes whose value satisfies `pred` (prefix objects made only for those). */
  prefixesWhere(pred: (v: V) => boolean): Prefix[] {
    const out: Prefix[] = [];
    const len = this.#len;
    for (let k = 0; k < len.length; k++) {
      if (len[k] !== EMPTY && pred(this.#vals[k] as V)) out.push(v4prefix(this.#addr[k]!, len[k]!));
    }
    for (const [key, v] of this.#other) if (pred(v)) out.push(prefixFromKey(key));
    return out;
  }

  /** Removes everything. */
  clear(): void {
    this.#len.fill(EMPTY);
    this.#vals.fill(undefined);
    this.#v4 = 0;
    this.#missLen = -1;
    this.#other.clear();
  }

  /** Every value. Do not mutate the table while iterating. */
  *values(): IterableIterator<V> {
    const len = this.#len;
    for (let k = 0; k < len.length; k++) if (len[k] !== EMPTY) yield this.#vals[k] as V;
    yield* this.#other.values();
  }
}
