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

/** The Adj-RIB-Out of one peer. */
export class AdjRibOut {
  readonly #interner: AttrInterner;
  /** Advertised state: route key (with Path Identifier under ADD-PATH) → attributes. */
  readonly #sent = new Map<string, AttrSet>();
  /** Pending changes: route key → new attributes, or null for a withdrawal. */
  readonly #pending = new Map<string, AttrSet | null>();

  /** Creates an empty Adj-RIB-Out whose sets are interned in `interner`. */
  constructor(interner: AttrInterner) {
    this.#interner = interner;
  }

  /** Number of routes advertised (after the last {@link AdjRibOut.take}). */
  get size(): number {
    return this.#sent.size;
  }

  /** Number of routes with a change waiting to be sent. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Records the desired state of one route: `attrs` (already interned, one
   * reference handed over) or null to withdraw it.
   */
  set(key: string, attrs: AttrSet | null): void {
    const prev = this.#pending.get(key);
    if (prev) this.#interner.release(prev);
    const sent = this.#sent.get(key);
    if ((attrs === null && sent === undefined) || (attrs !== null && attrs === sent)) {
      // Back to what the peer already has: nothing to send.
      this.#pending.delete(key);
      if (attrs) this.#interner.release(attrs);
      return;
    }
    this.#pending.set(key, attrs);
  }

  /** The advertised attributes of a route, if any. */
  advertised(key: string): AttrSet | undefined {
    return this.#sent.get(key);
  }

  /** Every advertised route key. */
  keys(): IterableIterator<string> {
    return this.#sent.keys();
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
    for (const [key, attrs] of this.#pending) {
      if (n++ >= limit) break;
      this.#pending.delete(key);
      const prefix = prefixFromKey(key);
      const old = this.#sent.get(key);
      if (attrs === null) {
        if (old) {
          this.#sent.delete(key);
          this.#interner.release(old);
        }
        withdraw.push(prefix);
      } else {
        if (old) this.#interner.release(old);
        this.#sent.set(key, attrs);
        const g = groups.get(attrs);
        if (g) g.push(prefix);
        else groups.set(attrs, [prefix]);
      }
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
    for (const [key, attrs] of this.#sent) {
      if (this.#pending.has(key)) continue;
      this.#interner.retain(attrs);
      this.#pending.set(key, attrs);
      n++;
    }
    return n;
  }

  /** Forgets everything (session down): releases every set. */
  clear(): void {
    for (const a of this.#pending.values()) if (a) this.#interner.release(a);
    for (const a of this.#sent.values()) this.#interner.release(a);
    this.#pending.clear();
    this.#sent.clear();
  }

  /** The key of a prefix as this Adj-RIB-Out stores it. */
  static keyOf(p: Prefix): string {
    return prefixKey(p, true);
  }
}
