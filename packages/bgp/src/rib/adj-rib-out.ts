// Adj-RIB-Out of one peer (RFC 4271 §3.2): what has been advertised to it,
// and what is still to be sent. Changes are coalesced per route (a prefix
// that flaps ten times before the next send is sent once, in its final
// state) and handed out grouped by attribute set, so the speaker packs all
// prefixes sharing one set into as few UPDATEs as the message size allows
// (RFC 4271 §4.3: one set of path attributes per UPDATE).
import { type Prefix, prefixKey } from "../wire/prefix.js";
import type { AttrInterner, AttrSet } from "./attrs.js";
import { prefixFromKey } from "./keys.js";

/** A batch of changes for one peer, ready to be packed into UPDATEs. */
export interface OutboundBatch {
  /** Announcements grouped by attribute set: each group is one logical UPDATE. */
  readonly announce: readonly { readonly attrs: AttrSet; readonly prefixes: readonly Prefix[] }[];
  /** Prefixes to withdraw. */
  readonly withdraw: readonly Prefix[];
}

/**
 * One route's state: what the peer has (`sent`) and what it should get next
 * (`pending`: attributes, null for a withdrawal, undefined for nothing).
 * One Map entry per route keeps a change to a couple of lookups.
 */
interface Slot {
  sent: AttrSet | undefined;
  pending: AttrSet | null | undefined;
}

/** The Adj-RIB-Out of one peer. */
export class AdjRibOut {
  readonly #interner: AttrInterner;
  /** Route key (with Path Identifier under ADD-PATH) → its state. */
  readonly #slots = new Map<string, Slot>();
  #sentCount = 0;
  #pendingCount = 0;
  /**
   * The order in which keys became pending; `take` walks it from `#cursor`.
   * A key whose change was cancelled stays here and is skipped.
   */
  #queue: string[] = [];
  #cursor = 0;

  /** Creates an empty Adj-RIB-Out whose sets are interned in `interner`. */
  constructor(interner: AttrInterner) {
    this.#interner = interner;
  }

  /** Number of routes advertised (after the last {@link AdjRibOut.take}). */
  get size(): number {
    return this.#sentCount;
  }

  /** Number of routes with a change waiting to be sent. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /**
   * Records the desired state of one route: `attrs` (already interned, one
   * reference handed over) or null to withdraw it.
   */
  set(key: string, attrs: AttrSet | null): void {
    let slot = this.#slots.get(key);
    if (!slot) {
      if (attrs === null) return; // never advertised, nothing pending: nothing to withdraw
      slot = { sent: undefined, pending: undefined };
      this.#slots.set(key, slot);
    }
    const prev = slot.pending;
    if (prev) this.#interner.release(prev);
    if ((attrs === null && slot.sent === undefined) || (attrs !== null && attrs === slot.sent)) {
      // Back to what the peer already has: nothing to send.
      if (attrs) this.#interner.release(attrs);
      if (prev !== undefined) this.#pendingCount--;
      slot.pending = undefined;
      if (slot.sent === undefined) this.#slots.delete(key);
      return;
    }
    if (prev === undefined) {
      this.#pendingCount++;
      this.#queue.push(key);
      // Cancelled changes leave entries behind; start over once they dominate.
      if (this.#queue.length - this.#cursor > 2 * this.#pendingCount + 1024) this.#requeue();
    }
    slot.pending = attrs;
  }

  #requeue(): void {
    const q: string[] = [];
    for (const [key, slot] of this.#slots) if (slot.pending !== undefined) q.push(key);
    this.#queue = q;
    this.#cursor = 0;
  }

  /** The advertised attributes of a route, if any. */
  advertised(key: string): AttrSet | undefined {
    return this.#slots.get(key)?.sent;
  }

  /** Every advertised route key. */
  *keys(): IterableIterator<string> {
    for (const [key, slot] of this.#slots) if (slot.sent !== undefined) yield key;
  }

  /**
   * Takes up to `limit` pending changes (all by default), marks them
   * advertised and returns them grouped by attribute set. A speaker calls
   * this when the socket can take more (back-pressure) and packs each group.
   */
  take(limit = Number.POSITIVE_INFINITY): OutboundBatch {
    const groups = new Map<AttrSet, Prefix[]>();
    const withdraw: Prefix[] = [];
    let n = 0;
    const q = this.#queue;
    while (this.#cursor < q.length && n < limit) {
      const key = q[this.#cursor++]!;
      const slot = this.#slots.get(key);
      if (!slot || slot.pending === undefined) continue;
      n++;
      this.#pendingCount--;
      const attrs = slot.pending;
      slot.pending = undefined;
      const prefix = prefixFromKey(key);
      const old = slot.sent;
      if (old) this.#interner.release(old);
      if (attrs === null) {
        if (old) this.#sentCount--;
        this.#slots.delete(key);
        withdraw.push(prefix);
      } else {
        if (!old) this.#sentCount++;
        slot.sent = attrs;
        const g = groups.get(attrs);
        if (g) g.push(prefix);
        else groups.set(attrs, [prefix]);
      }
    }
    if (this.#cursor === q.length) {
      // Every pending key has its entry at or after the cursor, so none is left.
      this.#queue = [];
      this.#cursor = 0;
    }
    return {
      announce: [...groups].map(([attrs, prefixes]) => ({ attrs, prefixes })),
      withdraw,
    };
  }

  /**
   * Queues every advertised route again (the peer sent a ROUTE-REFRESH,
   * RFC 2918 §4 / RFC 7313 §4): pending changes keep their newer state.
   * Returns the number of routes queued.
   */
  resendAll(): number {
    let n = 0;
    for (const [key, slot] of this.#slots) {
      if (slot.pending !== undefined || slot.sent === undefined) continue;
      this.#interner.retain(slot.sent);
      slot.pending = slot.sent;
      this.#pendingCount++;
      this.#queue.push(key);
      n++;
    }
    return n;
  }

  /** Forgets everything (session down): releases every set. */
  clear(): void {
    for (const slot of this.#slots.values()) {
      if (slot.pending) this.#interner.release(slot.pending);
      if (slot.sent) this.#interner.release(slot.sent);
    }
    this.#slots.clear();
    this.#queue = [];
    this.#cursor = 0;
    this.#sentCount = 0;
    this.#pendingCount = 0;
  }

  /** The key of a prefix as this Adj-RIB-Out stores it. */
  static keyOf(p: Prefix): string {
    return prefixKey(p, true);
  }
}
