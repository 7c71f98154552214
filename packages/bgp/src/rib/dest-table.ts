// The Loc-RIB's destination index: prefix → entry. A full IPv4 table is a
// million destinations, so IPv4 prefixes live in an open-addressing hash
// table over typed arrays (address and length as numbers: no key string, no
// per-key heap object, ~20 octets per destination plus the value pointer);
// every other family uses a `Map` keyed by `ribKey`. Linear probing with
// backward-shift deletion (Knuth, TAOCP vol. 3, §6.4, Algorithm R), so there
// are no tombstones and lookups stay short after heavy churn.
//
// With `sharedValues` (the Loc-RIB: a full table from one peer is a million
// destinations holding a handful of shared path objects) a slot holds a
// 32-bit reference into a small registry of distinct values instead of an
// 8-octet pointer: 9 octets per slot instead of 13, no array of a million
// pointers for the garbage collector to scan, and no large JS array to
// allocate and fill when the table doubles (fresh memory is what a growing
// table costs most).
//
// The hash is BIRD 2.0's for IPv4 networks (`net_hash_ip4`: the address
// times 2902958171, the length in the top six bits) and a slot's home is
// the hash's top bits (multiplicative hashing, TAOCP vol. 3, §6.4), as in
// BIRD's FIB. The table's order is therefore BIRD's order, and BIRD 2.0
// exports a table in that order: routes from a BIRD peer land in
// neighbouring slots (a full table's inserts walk memory in order instead of
// at random), and a table walked out of here (an initial export) reaches a
// BIRD 2.0 peer in the order its own FIB keeps. Routes in address order
// (FRR, GoBGP, ExaBGP) spread evenly as well (consecutive addresses step
// through the slots by a fixed fraction of the table). One BIRD feeder ×
// 1,000,000 routes: the daemon's CPU 0.57 → 0.48 s against the hash
// before (a 32-bit mixer, homes in the low bits); a BIRD receiving
// 1,000,000 routes from Tortie: 0.78–0.93 → 0.38–0.50 CPU-s, as from a BIRD
// (docs/benchmarks/bgp-ingest.md, table 24).
//
// A table walked in hash order into a table still small is the one thing
// top-bit homes do badly: the first n of N routes all have hashes below
// n/N, so they pile up from slot 0 in one run that every insert walks
// (a million routes took 87 s that way). An insert that lands LONG_RUN
// or more slots past its home therefore grows the table as well, when
// random input would make such a run at the table's load less than once
// in ~10^11 inserts (a run of 32 is common at load 0.48, where a full
// table sits), while the table has fewer than SPARSE_SLOTS slots per
// destination and at most SPARSE_LIMIT slots: ordered input grows it
// early to the size it would reach anyway, random input grows it by load
// alone, and input crafted to share one home (possible with any fixed
// hash: a peer can compute it) costs at most that memory, bounded per peer
// by max-prefix as the rest.
import type { Prefix } from "../wire/prefix.js";
import { prefixFromKey, ribKey } from "./keys.js";

const EMPTY = 0xff;

/** The address of an IPv4 prefix as an unsigned 32-bit number. */
export function v4addr(p: Prefix): number {
  const b = p.bytes;
  return ((b[0] ?? 0) * 0x1000000 + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0)) >>> 0;
}

/** An insert this many slots or more past its home is a long run (see the header). */
const LONG_RUN = 32;
/** Slots per destination up to which a long run grows the table. */
const SPARSE_SLOTS = 256;
/** Slots up to which a long run grows the table (2^22: 36 MiB of slots). */
const SPARSE_LIMIT = 1 << 22;

/**
 * How unlikely, as a natural logarithm of odds, a long run must be under
 * random input for it to grow the table: e^-25, about 10^-11 an insert.
 */
const RUN_SURPRISE = 25;

/**
 * Whether an insert landing `d` slots past its home is out of the ordinary
 * at load `a` for random input. In linear probing, the chance of that falls
 * as e^(-d·(a − 1 − ln a)): the rate at which d slots' worth of Poisson
 * arrivals of mean a would overflow d slots. At load 0.48 (a full table
 * of 1,000,000 in 2^21 slots) a run of 32 comes about once in 1,000 inserts,
 * one of 115 only once in 10^11.
 */
function surprising(d: number, a: number): boolean {
  return d * (a - 1 - Math.log(a)) >= RUN_SURPRISE;
}

/** BIRD 2.0's hash of an IPv4 network (`net_hash_ip4`); a slot's home is its top bits. */
export function hashV4(addr: number, len: number): number {
  return (Math.imul(addr, 2902958171 | 0) ^ (len << 26)) >>> 0;
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

/**
 * Where a value keeps its registry id (see {@link DestTableOptions.sharedValues}):
 * a field of the value itself, so that registering needs no `Map` lookup.
 * `get` returns what `set` last stored, -1 before.
 */
export interface ValueIds<V> {
  get(v: V): number;
  set(v: V, id: number): void;
}

/** Options of a {@link DestTable}. */
export interface DestTableOptions<V> {
  /**
   * Store IPv4 values as references into a registry of distinct values
   * (reference-counted): for tables where many prefixes share few values.
   * With a {@link ValueIds}, each value carries its own id (a value then
   * belongs to one such table at a time).
   */
  readonly sharedValues?: boolean | ValueIds<V>;
}

/**
 * A walk over a table's destinations that may be spread over time while the
 * table changes (see {@link DestTable.openCursor}): it visits every
 * destination present from its start to its end at least once — some maybe
 * twice, when the table grew or moved them meanwhile; destinations added
 * meanwhile maybe not at all.
 */
export interface DestCursor {
  /** The walk has visited everything; the cursor is closed. */
  readonly done: boolean;
}

interface CursorState<V> extends DestCursor {
  done: boolean;
  /** Next IPv4 slot to visit (the table's length when the IPv4 part is done). */
  k: number;
  /** The other families, once the IPv4 part is done (a live Map iterator). */
  other: IterableIterator<[string, V]> | undefined;
}

/** Prefix → value, IPv4 in typed arrays, everything else in a Map. */
export class DestTable<V> {
  /** Open walks, kept right when entries move (grow, backward-shift deletion). */
  readonly #cursors: CursorState<V>[] = [];
  #addr: Uint32Array;
  #len: Uint8Array;
  /** Values by slot (not `sharedValues`). */
  #vals: (V | undefined)[];
  /** Registry references by slot (`sharedValues`). */
  #ref: Uint32Array;
  readonly #shared: boolean;
  /** `sharedValues` registry: distinct values, their reference counts, their ids, free ids. */
  readonly #objs: (V | undefined)[] = [];
  readonly #counts: number[] = [];
  readonly #ids = new Map<V, number>();
  readonly #valueIds: ValueIds<V> | undefined;
  readonly #free: number[] = [];
  /** The last value registered and its id (runs of one UPDATE share a value). */
  #lastV: V | undefined = undefined;
  #lastId = -1;
  #mask: number;
  /** 32 − log2(slots): a slot's home is the hash's top bits. */
  #shift: number;
  #v4 = 0;
  /** The empty slot the last missed `get` ended on (a following `set` of the same prefix reuses it). */
  #missAddr = -1;
  #missLen = -1;
  #missSlot = -1;
  /**
   * The slot the last `get` found its prefix in: a `set` of the same prefix
   * that follows (the RIB replacing a destination's entry) goes straight
   * there. Checked by the slot's content, so no change can make it wrong.
   */
  #hitSlot = 0;
  readonly #other = new Map<string, V>();

  /** Creates an empty table with room for `capacity` IPv4 destinations before growing. */
  constructor(capacity = 1024, opts: DestTableOptions<V> = {}) {
    let size = 16;
    while (size * 0.7 < capacity) size *= 2;
    this.#shared = opts.sharedValues !== undefined && opts.sharedValues !== false;
    this.#valueIds = typeof opts.sharedValues === "object" ? opts.sharedValues : undefined;
    this.#addr = new Uint32Array(size);
    this.#len = new Uint8Array(size).fill(EMPTY);
    this.#vals = this.#shared ? [] : valueArray<V>(size);
    this.#ref = new Uint32Array(this.#shared ? size : 0);
    this.#mask = size - 1;
    this.#shift = 32 - Math.log2(size);
  }

  /** The value at slot `i` (occupied). */
  #at(i: number): V {
    return (this.#shared ? this.#objs[this.#ref[i]!] : this.#vals[i]) as V;
  }

  /** A registry id for `v`, counted once more. */
  #register(v: V): number {
    let id: number | undefined;
    const vi = this.#valueIds;
    if (v === this.#lastV && this.#lastId >= 0 && this.#objs[this.#lastId] === v) id = this.#lastId;
    else if (vi) {
      id = vi.get(v);
      if (id < 0 || this.#objs[id] !== v) id = undefined;
    } else id = this.#ids.get(v);
    if (id === undefined) {
      id = this.#free.pop() ?? this.#objs.length;
      this.#objs[id] = v;
      this.#counts[id] = 0;
      if (vi) vi.set(v, id);
      else this.#ids.set(v, id);
    }
    this.#counts[id]!++;
    this.#lastV = v;
    this.#lastId = id;
    return id;
  }

  /** One reference fewer to registry id `id`. */
  #unregister(id: number): void {
    if (--this.#counts[id]! > 0) return;
    if (this.#valueIds) this.#valueIds.set(this.#objs[id] as V, -1);
    else this.#ids.delete(this.#objs[id] as V);
    this.#objs[id] = undefined;
    this.#free.push(id);
    if (this.#lastId === id) this.#lastId = -1;
  }

  /** Stores `v` in slot `i`; `fresh`: the slot was empty. */
  #put(i: number, v: V, fresh: boolean): void {
    if (!this.#shared) {
      this.#vals[i] = v;
      return;
    }
    const ref = this.#ref;
    if (!fresh) {
      const old = ref[i]!;
      if (this.#objs[old] === v) return;
      ref[i] = this.#register(v);
      this.#unregister(old);
      return;
    }
    ref[i] = this.#register(v);
  }

  /**
   * Whether an entry just stored at slot `at`, whose home is `home`, landed
   * LONG_RUN or more slots past it while the table may still grow for that
   * (see the header: ordered input into a table still small), and the run
   * is one that random input would make at this load less than once in
   * e^RUN_SURPRISE inserts (`surprising`): a table fed at random is grown
   * by its load alone, at 0.7.
   */
  #longRun(at: number, home: number): boolean {
    const size = this.#mask + 1;
    return (
      ((at - home) & this.#mask) >= LONG_RUN &&
      surprising((at - home) & this.#mask, this.#v4 / size) &&
      size < SPARSE_LIMIT &&
      size < SPARSE_SLOTS * this.#v4
    );
  }

  /** Number of IPv4 slots (the table's capacity before the next growth is 0.7 of it). */
  get slotsV4(): number {
    return this.#mask + 1;
  }

  /**
   * The farthest any IPv4 destination sits from its home slot (0: every one
   * at its home): how long a lookup's probe can be. Walks the whole table.
   */
  longestRunV4(): number {
    let most = 0;
    const len = this.#len;
    for (let k = 0; k < len.length; k++) {
      const l = len[k]!;
      if (l === EMPTY) continue;
      const d = (k - (hashV4(this.#addr[k]!, l) >>> this.#shift)) & this.#mask;
      if (d > most) most = d;
    }
    return most;
  }

  /** Number of destinations. */
  get size(): number {
    return this.#v4 + this.#other.size;
  }

  #slot(addr: number, len: number): number {
    let i = hashV4(addr, len) >>> this.#shift;
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
    if (i >= 0) {
      this.#hitSlot = i;
      return this.#at(i);
    }
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
    const h = this.#hitSlot;
    if (this.#len[h] === length && this.#addr[h] === addr) {
      this.#put(h, v, false);
      return;
    }
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
        this.#put(i, v, false);
        return;
      }
      at = ~i;
    }
    this.#missSlot = -1;
    this.#missLen = -1;
    this.#addr[at] = addr;
    this.#len[at] = length;
    this.#put(at, v, true);
    if (
      ++this.#v4 > (this.#mask + 1) * 0.7 ||
      this.#longRun(at, hashV4(addr, length) >>> this.#shift)
    )
      this.#grow();
  }

  /**
   * Inserts each IPv4 key of `keys[0..count)` (address × 64 + length) that
   * is not in the table yet, with value `v`, in one pass (no call per key);
   * keys already present are left as they are. The inserted keys are moved
   * to the front of `keys`, in order; returns how many were inserted.
   */
  insertAbsentV4(keys: number[], count: number, v: V): number {
    this.#missLen = -1;
    const shared = this.#shared;
    // One registry reference per inserted key, taken together at the end.
    const id = shared ? this.#register(v) : -1;
    let inserted = 0;
    let len = this.#len;
    let addrs = this.#addr;
    let mask = this.#mask;
    let shift = this.#shift;
    for (let n = 0; n < count; n++) {
      const key = keys[n]!;
      const length = key & 63; // key < 2^38: the low 6 bits survive ToInt32
      const addr = (key - length) / 64;
      const home = hashV4(addr, length) >>> shift;
      let i = home;
      let l = len[i]!;
      while (l !== EMPTY && !(l === length && addrs[i] === addr)) {
        i = (i + 1) & mask;
        l = len[i]!;
      }
      if (l !== EMPTY) continue; // present
      addrs[i] = addr;
      len[i] = length;
      if (shared) this.#ref[i] = id;
      else this.#vals[i] = v;
      keys[inserted++] = key;
      if (++this.#v4 > (mask + 1) * 0.7 || this.#longRun(i, home)) {
        this.#grow();
        len = this.#len;
        addrs = this.#addr;
        mask = this.#mask;
        shift = this.#shift;
      }
    }
    if (shared) {
      this.#counts[id]! += inserted - 1;
      if (inserted === 0) {
        this.#counts[id]!++;
        this.#unregister(id);
      }
    }
    return inserted;
  }

  /** Removes a prefix; true if it was there. */
  delete(p: Prefix): boolean {
    if (p.afi !== 1) return this.#other.delete(ribKey(p));
    return this.deleteV4(v4addr(p), p.length);
  }

  /** Removes the IPv4 prefix `addr`/`length`; true if it was there. */
  deleteV4(addr: number, length: number): boolean {
    this.#missLen = -1;
    let i = this.#slot(addr, length);
    if (i < 0) return false;
    this.#v4--;
    const shared = this.#shared;
    const ref = this.#ref;
    if (shared) this.#unregister(ref[i]!);
    // Backward-shift deletion: move later members of the probe run into the hole.
    const mask = this.#mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const l = this.#len[j]!;
      if (l === EMPTY) break;
      const home = hashV4(this.#addr[j]!, l) >>> this.#shift;
      // Move j to i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      this.#addr[i] = this.#addr[j]!;
      this.#len[i] = l;
      if (shared) ref[i] = ref[j]!;
      else this.#vals[i] = this.#vals[j];
      // An entry moving back over a cursor (from j at or after it to i before
      // it) would be missed: the cursor goes back to it.
      if (this.#cursors.length > 0) for (const c of this.#cursors) if (i < c.k && c.k <= j) c.k = i;
      i = j;
    }
    this.#len[i] = EMPTY;
    if (!shared) this.#vals[i] = undefined;
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
    const oldRef = this.#ref;
    const shared = this.#shared;
    const size = (this.#mask + 1) * 2;
    const mask = size - 1;
    const shift = this.#shift - 1;
    const addr = new Uint32Array(size);
    const len = new Uint8Array(size).fill(EMPTY);
    const vals = shared ? oldVals : valueArray<V>(size);
    const ref = shared ? new Uint32Array(size) : oldRef;
    for (let k = 0; k < oldLen.length; k++) {
      const l = oldLen[k]!;
      if (l === EMPTY) continue;
      const a = oldAddr[k]!;
      let i = hashV4(a, l) >>> shift;
      while (len[i] !== EMPTY) i = (i + 1) & mask;
      addr[i] = a;
      len[i] = l;
      if (shared) ref[i] = oldRef[k]!;
      else vals[i] = oldVals[k];
    }
    this.#addr = addr;
    this.#len = len;
    this.#vals = vals;
    this.#ref = ref;
    this.#mask = mask;
    this.#shift = shift;
    // Everything moved: open walks start over (visiting some entries twice).
    for (const c of this.#cursors) if (c.other === undefined) c.k = 0;
  }

  /** Every (prefix, value); the prefix objects are made on the way. Do not mutate the table while iterating. */
  *entries(): IterableIterator<[Prefix, V]> {
    const len = this.#len;
    for (let k = 0; k < len.length; k++) {
      if (len[k] !== EMPTY) yield [v4prefix(this.#addr[k]!, len[k]!), this.#at(k)];
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
    for (let k = 0; k < len.length; k++) {
      const l = len[k]!;
      if (l !== EMPTY) fn(v4prefix(addr[k]!, l), this.#at(k));
    }
    for (const [key, v] of this.#other) fn(prefixFromKey(key), v);
  }

  /**
   * Calls `fn` for every IPv4 destination with its address (an unsigned
   * 32-bit number) and length: no prefix object per destination. Do not
   * mutate the table meanwhile.
   */
  forEachV4(fn: (addr: number, length: number, v: V) => void): void {
    const len = this.#len;
    const addr = this.#addr;
    for (let k = 0; k < len.length; k++) {
      const l = len[k]!;
      if (l !== EMPTY) fn(addr[k]!, l, this.#at(k));
    }
  }

  /**
   * Opens a walk over every destination, to be taken a piece at a time with
   * {@link DestTable.walk} while the table keeps changing in between.
   */
  openCursor(): DestCursor {
    const c: CursorState<V> = { done: false, k: 0, other: undefined };
    this.#cursors.push(c);
    return c;
  }

  /** Moves a walk past the IPv4 destinations (to the other families), if it is not there yet. */
  skipV4(cursor: DestCursor): void {
    const c = cursor as CursorState<V>;
    if (!c.done && c.other === undefined) {
      c.k = this.#len.length;
      c.other = this.#other.entries();
    }
  }

  /** Closes a walk before its end (nothing to do after its end). */
  closeCursor(cursor: DestCursor): void {
    const i = this.#cursors.indexOf(cursor as CursorState<V>);
    if (i >= 0) this.#cursors.splice(i, 1);
    (cursor as CursorState<V>).done = true;
  }

  /**
   * Visits up to `max` destinations of a walk: IPv4 ones through `v4` (as
   * numbers, no prefix object), the others through `other`. Returns true
   * when the walk is complete (the cursor is then closed). Do not mutate
   * the table from the callbacks.
   */
  walk(
    cursor: DestCursor,
    max: number,
    v4: (addr: number, length: number, v: V) => void,
    other: (p: Prefix, v: V) => void,
  ): boolean {
    const c = cursor as CursorState<V>;
    if (c.done) return true;
    let n = 0;
    if (c.other === undefined) {
      const len = this.#len;
      const addr = this.#addr;
      let k = c.k;
      for (; k < len.length && n < max; k++) {
        const l = len[k]!;
        if (l === EMPTY) continue;
        v4(addr[k]!, l, this.#at(k));
        n++;
      }
      c.k = k;
      if (k < len.length) return false;
      c.other = this.#other.entries();
    }
    for (; n < max; n++) {
      const r = c.other.next();
      if (r.done) {
        this.closeCursor(c);
        return true;
      }
      other(prefixFromKey(r.value[0]), r.value[1]);
    }
    return false;
  }

  /** Calls `fn` for every destination that is not IPv4 (see {@link DestTable.forEachV4}). */
  forEachOther(fn: (p: Prefix, v: V) => void): void {
    for (const [key, v] of this.#other) fn(prefixFromKey(key), v);
  }

  /**
   * Calls `v4` for every IPv4 (address, length, value) — no prefix object
   * made — and `other` for every other (prefix, value). Do not mutate the
   * table meanwhile.
   */
  scan(v4: (addr: number, length: number, v: V) => void, other: (p: Prefix, v: V) => void): void {
    this.forEachV4(v4);
    this.forEachOther(other);
  }

  /** Replaces every value by `fn(value)` (same keys; no prefix objects are made). */
  mapValues(fn: (v: V) => V): void {
    const len = this.#len;
    for (let k = 0; k < len.length; k++) if (len[k] !== EMPTY) this.#put(k, fn(this.#at(k)), false);
    for (const [key, v] of this.#other) this.#other.set(key, fn(v));
  }

  /** The prefixes whose value satisfies `pred` (prefix objects made only for those). */
  prefixesWhere(pred: (v: V) => boolean): Prefix[] {
    const out: Prefix[] = [];
    const len = this.#len;
    for (let k = 0; k < len.length; k++) {
      if (len[k] !== EMPTY && pred(this.#at(k))) out.push(v4prefix(this.#addr[k]!, len[k]!));
    }
    for (const [key, v] of this.#other) if (pred(v)) out.push(prefixFromKey(key));
    return out;
  }

  /** Removes everything. */
  clear(): void {
    this.#len.fill(EMPTY);
    if (this.#shared) {
      if (this.#valueIds)
        for (const v of this.#objs) if (v !== undefined) this.#valueIds.set(v, -1);
      this.#objs.length = 0;
      this.#counts.length = 0;
      this.#free.length = 0;
      this.#ids.clear();
      this.#lastId = -1;
      this.#lastV = undefined;
    } else this.#vals.fill(undefined);
    this.#v4 = 0;
    this.#missLen = -1;
    this.#other.clear();
  }

  /** Every value. Do not mutate the table while iterating. */
  *values(): IterableIterator<V> {
    const len = this.#len;
    for (let k = 0; k < len.length; k++) if (len[k] !== EMPTY) yield this.#at(k);
    yield* this.#other.values();
  }
}
