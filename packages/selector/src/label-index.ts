// An incremental label index: which items (endpoints, network sets) match
// which selectors, kept up to date as labels and selectors change, reporting
// only what started or stopped matching (Felix's `labelindex` idea).
//
// Candidate pruning: each selector is filed under the strongest requirement
// it implies (a key=value pair, else a key, else "scan"), and items under
// each of their pairs and keys; an update then only tests selectors/items
// that could possibly match instead of every one.
import {
  type LabelLookup,
  type Labels,
  lookupOf,
  type Requirement,
  requirement,
} from "./compile.js";
import type { Selector } from "./selector.js";

/** Callbacks for match changes. */
export interface LabelIndexListener<S, I> {
  /** `item` now matches `selector` (and did not before). */
  onMatchStarted?(selector: S, item: I): void;
  /** `item` no longer matches `selector` (or one of them was removed). */
  onMatchStopped?(selector: S, item: I): void;
}

interface SelEntry {
  readonly sel: Selector;
  readonly req: Requirement;
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) {
    s = new Set();
    m.set(k, s);
  }
  s.add(v);
}
function delFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}
const pairKey = (k: string, v: string) => `${k}\u0000${v}`;

/**
 * Maintains the relation "item matches selector" incrementally.
 *
 * ```ts
 * const idx = new LabelIndex<string, string>({ onMatchStarted: (s, i) => console.log(s, i) });
 * idx.updateSelector("web", parseSelector('app == "web"'));
 * idx.updateLabels("pod-1", { app: "web" }); // logs: web pod-1
 * ```
 */
export class LabelIndex<S = string, I = string> {
  private readonly sels = new Map<S, SelEntry>();
  private readonly items = new Map<I, { labels: Map<string, string>; lookup: LabelLookup }>();
  private readonly selByPair = new Map<string, Set<S>>();
  private readonly selByKey = new Map<string, Set<S>>();
  private readonly selScan = new Set<S>();
  private readonly itemByPair = new Map<string, Set<I>>();
  private readonly itemByKey = new Map<string, Set<I>>();
  private readonly matchesBySel = new Map<S, Set<I>>();
  private readonly matchesByItem = new Map<I, Set<S>>();
  /** Selector evaluations done so far (for tests and benchmarks). */
  evaluations = 0;

  constructor(private readonly listener: LabelIndexListener<S, I> = {}) {}

  /** Adds or replaces a selector. */
  updateSelector(id: S, sel: Selector): void {
    const old = this.sels.get(id);
    if (old?.sel.text === sel.text) return;
    if (old) this.unfileSelector(id, old);
    const entry: SelEntry = { sel, req: requirement(sel.ast) };
    this.sels.set(id, entry);
    this.fileSelector(id, entry);
    const before = this.matchesBySel.get(id) ?? new Set<I>();
    const now = new Set<I>();
    for (const item of this.candidateItems(entry.req)) {
      this.evaluations++;
      if (sel.match(this.items.get(item)!.lookup)) now.add(item);
    }
    for (const item of before) if (!now.has(item)) this.stop(id, item);
    for (const item of now) if (!before.has(item)) this.start(id, item);
  }

  /** Removes a selector; every item it matched stops matching. */
  deleteSelector(id: S): void {
    const old = this.sels.get(id);
    if (!old) return;
    for (const item of [...(this.matchesBySel.get(id) ?? [])]) this.stop(id, item);
    this.unfileSelector(id, old);
    this.sels.delete(id);
  }

  /** Adds or replaces an item's labels. */
  updateLabels(id: I, labels: Labels): void {
    const map = new Map(labels instanceof Map ? labels : Object.entries(labels));
    const old = this.items.get(id);
    if (old && sameLabels(old.labels, map)) return;
    if (old) this.unfileItem(id, old.labels);
    const entry = { labels: map, lookup: lookupOf(map) };
    this.items.set(id, entry);
    this.fileItem(id, map);
    const before = this.matchesByItem.get(id) ?? new Set<S>();
    const now = new Set<S>();
    const test = (s: S) => {
      if (now.has(s)) return;
      this.evaluations++;
      if (this.sels.get(s)!.sel.match(entry.lookup)) now.add(s);
    };
    for (const s of this.selScan) test(s);
    for (const [k, v] of map) {
      for (const s of this.selByPair.get(pairKey(k, v)) ?? []) test(s);
      for (const s of this.selByKey.get(k) ?? []) test(s);
    }
    for (const s of before) if (!now.has(s)) this.stop(s, id);
    for (const s of now) if (!before.has(s)) this.start(s, id);
  }

  /** Removes an item; it stops matching every selector. */
  deleteLabels(id: I): void {
    const old = this.items.get(id);
    if (!old) return;
    for (const s of [...(this.matchesByItem.get(id) ?? [])]) this.stop(s, id);
    this.unfileItem(id, old.labels);
    this.items.delete(id);
  }

  /** Items matching a selector (empty for an unknown one). */
  itemsMatching(id: S): ReadonlySet<I> {
    return this.matchesBySel.get(id) ?? new Set();
  }

  /** Selectors an item matches (empty for an unknown one). */
  selectorsMatching(id: I): ReadonlySet<S> {
    return this.matchesByItem.get(id) ?? new Set();
  }

  /** The labels stored for an item. */
  labelsOf(id: I): ReadonlyMap<string, string> | undefined {
    return this.items.get(id)?.labels;
  }

  private start(s: S, i: I): void {
    addTo(this.matchesBySel, s, i);
    addTo(this.matchesByItem, i, s);
    this.listener.onMatchStarted?.(s, i);
  }
  private stop(s: S, i: I): void {
    delFrom(this.matchesBySel, s, i);
    delFrom(this.matchesByItem, i, s);
    this.listener.onMatchStopped?.(s, i);
  }

  private candidateItems(req: Requirement): Iterable<I> {
    if (req.kind === "eq") return this.itemByPair.get(pairKey(req.key, req.value)) ?? [];
    if (req.kind === "has") return this.itemByKey.get(req.key) ?? [];
    return this.items.keys();
  }

  private fileSelector(id: S, e: SelEntry): void {
    if (e.req.kind === "eq") addTo(this.selByPair, pairKey(e.req.key, e.req.value), id);
    else if (e.req.kind === "has") addTo(this.selByKey, e.req.key, id);
    else this.selScan.add(id);
  }
  private unfileSelector(id: S, e: SelEntry): void {
    if (e.req.kind === "eq") delFrom(this.selByPair, pairKey(e.req.key, e.req.value), id);
    else if (e.req.kind === "has") delFrom(this.selByKey, e.req.key, id);
    else this.selScan.delete(id);
  }
  private fileItem(id: I, labels: Map<string, string>): void {
    for (const [k, v] of labels) {
      addTo(this.itemByPair, pairKey(k, v), id);
      addTo(this.itemByKey, k, id);
    }
  }
  private unfileItem(id: I, labels: Map<string, string>): void {
    for (const [k, v] of labels) {
      delFrom(this.itemByPair, pairKey(k, v), id);
      delFrom(this.itemByKey, k, id);
    }
  }
}

function sameLabels(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
