// Adj-RIB-Out of one peer (RFC 4271 §3.2): what has been advertised to it,
// and what is still to be sent. Changes are coalesced per route (a prefix
// that flaps ten times before the next send is sent once, in its final
// state) and handed out grouped by attribute set, so the speaker packs all
// prefixes sharing one set into as few UPDATEs as the message size allows
// (RFC 4271 §4.3: one set of path attributes per UPDATE). Routes are keyed
// by prefix (with the Path Identifier under ADD-PATH); IPv4 ones live in the
// same typed-array table as the Loc-RIB's destinations, so a full table
// advertised to a peer costs about 55 MB of heap, not a string per route.
import { type Prefix, prefixKey } from "../wire/prefix.js";
import type { AttrInterner, AttrSet } from "./attrs.js";
import { DestTable, type ValueIds, v4addr, v4prefix } from "./dest-table.js";
import { prefixFromKey } from "./keys.js";

/** A batch of changes for one peer, ready to be packed into UPDATEs. */
export interface OutboundBatch {
  /** Announcements grouped by attribute set: each group is one logical UPDATE. */
  readonly announce: readonly { readonly attrs: AttrSet; readonly prefixes: readonly Prefix[] }[];
  /** Prefixes to withdraw. */
  readonly withdraw: readonly Prefix[];
}

/**
 * A batch for one peer with its IPv4 routes (without Path Identifier) as
 * numbers, address × 64 + length: no prefix object per route.
 */
export interface PackedBatch {
  /** IPv4 announcements grouped by attribute set. */
  readonly announce4: readonly { readonly attrs: AttrSet; readonly v4: readonly number[] }[];
  /** IPv4 withdrawals. */
  readonly withdraw4: readonly number[];
  /** Every other route (IPv6, or with a Path Identifier). */
  readonly rest: OutboundBatch;
}

/** The IPv4 prefix of a number address × 64 + length. */
export function v4FromKey(v: number): Prefix {
  const length = v & 63; // v < 2^38: the low 6 bits survive ToInt32
  return v4prefix((v - length) / 64, length);
}

/** A packed batch with its IPv4 routes as prefixes too (groups merged by attribute set). */
export function unpack(b: PackedBatch): OutboundBatch {
  if (b.announce4.length === 0 && b.withdraw4.length === 0) return b.rest;
  const groups = new Map<AttrSet, Prefix[]>();
  for (const g of b.announce4) groups.set(g.attrs, g.v4.map(v4FromKey));
  for (const g of b.rest.announce) {
    const have = groups.get(g.attrs);
    if (have) have.push(...g.prefixes);
    else groups.set(g.attrs, [...g.prefixes]);
  }
  return {
    announce: [...groups].map(([attrs, prefixes]) => ({ attrs, prefixes })),
    withdraw: [...b.withdraw4.map(v4FromKey), ...b.rest.withdraw],
  };
}

/**
 * A route's state: what the peer has (`sent`) and what it should get next
 * (`pending`: attributes, null for a withdrawal, undefined for nothing).
 * States are shared: every route in the same state references one Slot
 * (a full table sent with one attribute set is two Slot objects, not a
 * million); `refs` counts the routes, and a Slot no route uses is dropped.
 */
interface Slot {
  readonly sent: AttrSet | undefined;
  readonly pending: AttrSet | null | undefined;
  refs: number;
  /** Its id in the route table's registry of distinct values (see DestTable `sharedValues`). */
  tableId: number;
}

/** Where a Slot keeps its registry id in the route table. */
const SLOT_IDS: ValueIds<Slot> = {
  get: (s) => s.tableId,
  set: (s, id) => {
    s.tableId = id;
  },
};

/** The Adj-RIB-Out of one peer. */
export class AdjRibOut {
  readonly #interner: AttrInterner;
  /** Routes without a Path Identifier: prefix → state (IPv4 in typed arrays). */
  readonly #slots: DestTable<Slot>;
  /** Routes with a Path Identifier (ADD-PATH send): `prefixKey(p, true)` → state. */
  readonly #withIds = new Map<string, Slot>();
  #sentCount = 0;
  #pendingCount = 0;
  /** The shared states in use, by sent then pending attributes. */
  readonly #states = new Map<AttrSet | undefined, Map<AttrSet | null | undefined, Slot>>();
  /**
   * The routes that became pending, in order; `take` walks them from the
   * cursors. A route whose change was cancelled stays queued and is skipped.
   * IPv4 routes without a Path Identifier are queued as numbers
   * (address × 64 + length, in a Float64Array) so that a full table
   * waiting to be sent holds no prefix objects; the rest as prefixes.
   */
  #queue4 = new Float64Array(64);
  #len4 = 0;
  #cursor4 = 0;
  #queue: Prefix[] = [];
  #cursor = 0;

  /**
   * Creates an empty Adj-RIB-Out whose sets are interned in `interner`, with
   * room for `capacity` routes before its table grows.
   */
  constructor(interner: AttrInterner, capacity?: number) {
    this.#interner = interner;
    // A few shared states for any number of routes: the table holds 32-bit
    // references to them (no array of a pointer per route to allocate and scan).
    this.#slots = new DestTable<Slot>(capacity, { sharedValues: SLOT_IDS });
  }

  /** Number of routes advertised (after the last {@link AdjRibOut.take}). */
  get size(): number {
    return this.#sentCount;
  }

  /** Number of routes with a change waiting to be sent. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  #get(p: Prefix): Slot | undefined {
    return p.pathId === undefined ? this.#slots.get(p) : this.#withIds.get(prefixKey(p, true));
  }

  #put(p: Prefix, slot: Slot): void {
    if (p.pathId === undefined) this.#slots.set(p, slot);
    else this.#withIds.set(prefixKey(p, true), slot);
  }

  #drop(p: Prefix): void {
    if (p.pathId === undefined) this.#slots.delete(p);
    else this.#withIds.delete(prefixKey(p, true));
  }

  /**
   * Records the desired state of one route (a prefix, with its Path
   * Identifier under ADD-PATH): `attrs` (already interned, one reference
   * handed over) or null to withdraw it.
   */
  set(prefix: Prefix, attrs: AttrSet | null): void {
    if (prefix.afi === 1 && prefix.pathId === undefined) {
      this.setV4(v4addr(prefix), prefix.length, attrs);
      return;
    }
    const slot = this.#get(prefix);
    // never advertised, nothing pending: nothing to withdraw
    if (!slot && attrs === null) return;
    const next = this.#change(slot, attrs);
    if (next === slot) return;
    if (next) this.#put(prefix, next);
    else this.#drop(prefix);
    if (this.#queued) {
      this.#queue.push(prefix);
      this.#compactQueue();
    }
  }

  /**
   * {@link AdjRibOut.set} for the IPv4 prefix `addr`/`length` without a Path
   * Identifier (`addr` as an unsigned 32-bit number): no prefix object needed.
   */
  setV4(addr: number, length: number, attrs: AttrSet | null): void {
    const slot = this.#slots.getV4(addr, length);
    // never advertised, nothing pending: nothing to withdraw
    if (!slot && attrs === null) return;
    const next = this.#change(slot, attrs);
    if (next === slot) return;
    if (next) this.#slots.setV4(addr, length, next);
    else this.#slots.deleteV4(addr, length);
    if (this.#queued) {
      this.#push4(addr * 64 + length);
      this.#compactQueue();
    }
  }

  /**
   * A session's initial export (see `Rib.feedExport`), a run of IPv4 routes
   * (address × 64 + length) exported with the same `attrs` (no reference
   * handed over) at a time: the routes with no state yet are recorded as
   * advertised, in one pass, and moved to the front of `keys`; returns how
   * many — the caller sends those now. Routes with a state already are left alone: they changed since the
   * initial export started, so their state is the export of their current
   * best path already.
   */
  adoptRunV4(keys: number[], count: number, attrs: AttrSet): number {
    const slot = this.#state(attrs, undefined)!;
    const n = this.#slots.insertAbsentV4(keys, count, slot);
    // #state counted one route in `slot`; there are n.
    slot.refs += n - 1;
    if (n === 0) {
      slot.refs++;
      this.#leave(slot);
      return 0;
    }
    this.#interner.retain(attrs, n);
    this.#sentCount += n;
    return n;
  }

  /** The state last looked up (a table's routes mostly move between the same two or three). */
  #last: Slot | undefined;

  /** The shared state (sent, pending), one more route in it. */
  #state(sent: AttrSet | undefined, pending: AttrSet | null | undefined): Slot | undefined {
    if (sent === undefined && pending === undefined) return undefined;
    const last = this.#last;
    if (last && last.sent === sent && last.pending === pending) {
      last.refs++;
      return last;
    }
    let bySent = this.#states.get(sent);
    if (!bySent) {
      bySent = new Map();
      this.#states.set(sent, bySent);
    }
    let slot = bySent.get(pending);
    if (!slot) {
      slot = { sent, pending, refs: 0, tableId: -1 };
      bySent.set(pending, slot);
    }
    slot.refs++;
    this.#last = slot;
    return slot;
  }

  /** One route less in the state `slot`. */
  #leave(slot: Slot | undefined): void {
    if (!slot || --slot.refs > 0) return;
    if (slot === this.#last) this.#last = undefined;
    const bySent = this.#states.get(slot.sent)!;
    bySent.delete(slot.pending);
    if (bySent.size === 0) this.#states.delete(slot.sent);
  }

  /** Set by #change: the route became pending (the caller queues it). */
  #queued = false;

  /**
   * The route's state with `attrs` as its next one (undefined: nothing sent,
   * nothing pending — the caller drops it). Sets #queued when the route
   * became pending; not when it was pending already or is back to what the
   * peer has (then nothing is pending for it).
   */
  #change(slot: Slot | undefined, attrs: AttrSet | null): Slot | undefined {
    this.#queued = false;
    const sent = slot?.sent;
    const prev = slot?.pending;
    if (prev) this.#interner.release(prev);
    let pending: AttrSet | null | undefined = attrs;
    if ((attrs === null && sent === undefined) || (attrs !== null && attrs === sent)) {
      // Back to what the peer already has: nothing to send.
      if (attrs) this.#interner.release(attrs);
      if (prev !== undefined) this.#pendingCount--;
      pending = undefined;
    } else if (prev === undefined) {
      this.#pendingCount++;
      this.#queued = true;
    }
    if (slot && slot.pending === pending) return slot;
    this.#leave(slot);
    return this.#state(sent, pending);
  }

  /**
   * Cancelled changes leave queue entries behind; start over once they
   * dominate. Runs after the route that just became pending was queued (its
   * slot already holds the pending state, so a rebuilt queue keeps it).
   */
  #compactQueue(): void {
    const queued = this.#len4 - this.#cursor4 + this.#queue.length - this.#cursor;
    if (queued > 2 * this.#pendingCount + 1024) this.#requeue();
  }

  /** Appends to the IPv4 queue (a typed array: no per-entry heap object, nothing for the GC to scan). */
  #push4(v: number): void {
    if (this.#len4 === this.#queue4.length) {
      const bigger = new Float64Array(this.#queue4.length * 2);
      bigger.set(this.#queue4);
      this.#queue4 = bigger;
    }
    this.#queue4[this.#len4++] = v;
  }

  #resetQueue4(): void {
    if (this.#queue4.length > 64) this.#queue4 = new Float64Array(64);
    this.#len4 = 0;
    this.#cursor4 = 0;
  }

  #requeue(): void {
    this.#resetQueue4();
    this.#queue = [];
    this.#cursor = 0;
    this.#slots.forEachV4((addr, length, slot) => {
      if (slot.pending !== undefined) this.#push4(addr * 64 + length);
    });
    for (const [k, slot] of this.#withIds)
      if (slot.pending !== undefined) this.#queue.push(prefixFromKey(k));
  }

  *#entries(): IterableIterator<[Prefix, Slot]> {
    yield* this.#slots.entries();
    for (const [k, slot] of this.#withIds) yield [prefixFromKey(k), slot];
  }

  /** The advertised attributes of a route, if any. */
  advertised(prefix: Prefix): AttrSet | undefined {
    return this.#get(prefix)?.sent;
  }

  /** Every advertised route. */
  *prefixes(): IterableIterator<Prefix> {
    for (const [p, slot] of this.#entries()) if (slot.sent !== undefined) yield p;
  }

  /**
   * Takes up to `limit` pending changes (all by default), marks them
   * advertised and returns them grouped by attribute set. A speaker calls
   * this when the socket can take more (back-pressure) and packs each group.
   */
  take(limit = Number.POSITIVE_INFINITY): OutboundBatch {
    return unpack(this.takePacked(limit));
  }

  /**
   * {@link AdjRibOut.take} without an object per IPv4 route: IPv4 routes
   * without a Path Identifier come out as numbers (address × 64 + length),
   * grouped by attribute set, ready to be encoded straight into UPDATEs
   * (./pack.ts `packV4`); every other route as in `take`, in `rest`.
   */
  takePacked(limit = Number.POSITIVE_INFINITY): PackedBatch {
    const groups4 = new Map<AttrSet, number[]>();
    const withdraw4: number[] = [];
    const groups = new Map<AttrSet, Prefix[]>();
    const withdraw: Prefix[] = [];
    let n = 0;
    // Consecutive routes mostly share a set (a table originated or learned
    // together): the last group is kept at hand instead of a Map lookup each.
    let lastAttrs: AttrSet | undefined;
    let lastGroup: number[] = [];
    const q4 = this.#queue4;
    while (this.#cursor4 < this.#len4 && n < limit) {
      const v = q4[this.#cursor4++]!;
      const length = v & 63; // v < 2^38: the low 6 bits survive ToInt32
      const addr = (v - length) / 64;
      const slot = this.#slots.getV4(addr, length);
      // A cancelled change: nothing to send for it.
      if (!slot || slot.pending === undefined) continue;
      n++;
      const attrs = slot.pending;
      const next = this.#advance(slot);
      if (next) this.#slots.setV4(addr, length, next);
      else this.#slots.deleteV4(addr, length);
      if (attrs === null) {
        withdraw4.push(v);
        continue;
      }
      if (attrs !== lastAttrs) {
        lastAttrs = attrs;
        const g = groups4.get(attrs);
        if (g) lastGroup = g;
        else {
          lastGroup = [];
          groups4.set(attrs, lastGroup);
        }
      }
      lastGroup.push(v);
    }
    const q = this.#queue;
    while (this.#cursor < q.length && n < limit) {
      const prefix = q[this.#cursor++]!;
      const slot = this.#get(prefix);
      if (!slot || slot.pending === undefined) continue;
      n++;
      const attrs = slot.pending;
      const next = this.#advance(slot);
      if (next) this.#put(prefix, next);
      else this.#drop(prefix);
      if (attrs === null) {
        withdraw.push(prefix);
        continue;
      }
      const g = groups.get(attrs);
      if (g) g.push(prefix);
      else groups.set(attrs, [prefix]);
    }
    // Every pending route has its entry at or after a cursor: reset drained queues.
    if (this.#cursor4 === this.#len4) this.#resetQueue4();
    if (this.#cursor === q.length) {
      this.#queue = [];
      this.#cursor = 0;
    }
    return {
      announce4: [...groups4].map(([attrs, v4]) => ({ attrs, v4 })),
      withdraw4,
      rest: { announce: [...groups].map(([attrs, prefixes]) => ({ attrs, prefixes })), withdraw },
    };
  }

  /** Marks a pending route as sent: its new state (undefined: withdrawn, the caller drops it). */
  #advance(slot: Slot): Slot | undefined {
    this.#pendingCount--;
    const attrs = slot.pending as AttrSet | null;
    const old = slot.sent;
    if (old) this.#interner.release(old);
    this.#leave(slot);
    if (attrs === null) {
      if (old) this.#sentCount--;
      return undefined;
    }
    if (!old) this.#sentCount++;
    return this.#state(attrs, undefined);
  }

  /**
   * Queues every advertised route again (the peer sent a ROUTE-REFRESH,
   * RFC 2918 §4 / RFC 7313 §4): pending changes keep their newer state.
   * Returns the number of routes queued.
   */
  resendAll(): number {
    // The advertised routes become pending again with what they were sent;
    // the states change under the walk, so the IPv4 ones are listed first
    // (as numbers: no prefix object per route).
    const v4: number[] = [];
    this.#slots.forEachV4((addr, length, slot) => {
      if (slot.pending === undefined && slot.sent !== undefined) v4.push(addr * 64 + length);
    });
    for (const v of v4) {
      const length = v & 63; // v < 2^38: the low 6 bits survive ToInt32
      const addr = (v - length) / 64;
      const slot = this.#slots.getV4(addr, length)!;
      this.#interner.retain(slot.sent!);
      this.#leave(slot);
      this.#slots.setV4(addr, length, this.#state(slot.sent, slot.sent)!);
      this.#pendingCount++;
      this.#push4(v);
    }
    let n = v4.length;
    for (const [k, slot] of [...this.#withIds]) {
      if (slot.pending !== undefined || slot.sent === undefined) continue;
      this.#interner.retain(slot.sent);
      this.#leave(slot);
      this.#withIds.set(k, this.#state(slot.sent, slot.sent)!);
      this.#pendingCount++;
      this.#queue.push(prefixFromKey(k));
      n++;
    }
    return n;
  }

  /** Forgets everything (session down): releases every set. */
  clear(): void {
    // Every route is in one of the few shared states: a state's sets are
    // released once per route in it, without visiting the routes.
    for (const bySent of this.#states.values())
      for (const slot of bySent.values()) {
        if (slot.pending) this.#interner.release(slot.pending, slot.refs);
        if (slot.sent) this.#interner.release(slot.sent, slot.refs);
      }
    this.#slots.clear();
    this.#withIds.clear();
    this.#states.clear();
    this.#last = undefined;
    this.#resetQueue4();
    this.#queue = [];
    this.#cursor = 0;
    this.#sentCount = 0;
    this.#pendingCount = 0;
  }
}
