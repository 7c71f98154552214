// A backend-neutral picture of one nftables table (sets, maps, chains with
// their rule texts), its full text for `nft -f`, and the difference between
// two pictures as the smallest script that turns one into the other in one
// atomic transaction (nft(8): "a ruleset file is applied atomically").

/** A named set or verdict map. */
export interface NftSet {
  /** Declaration body, e.g. `type ipv4_addr; flags interval;` or `type ifname : verdict;`. */
  readonly decl: string;
  /** Elements as nft text (`192.0.2.0/24`, `80-90`, `"cali1" : jump e-1`), sorted. */
  readonly elements: readonly string[];
}

/** A chain: base chains carry their hook declaration. */
export interface NftChain {
  /** `type filter hook forward priority filter; policy accept;` for base chains. */
  readonly hook?: string;
  readonly rules: readonly string[];
}

/** One table's desired state. */
export interface Ruleset {
  /** e.g. `inet tortie`. */
  readonly table: string;
  readonly sets: ReadonlyMap<string, NftSet>;
  readonly chains: ReadonlyMap<string, NftChain>;
}

/** A script and what it costs the kernel. */
export interface NftScript {
  readonly text: string;
  /** Commands in the script (each add/delete/flush is one). */
  readonly commands: number;
  /** Set elements added or deleted. */
  readonly elements: number;
  /** Rules added. */
  readonly rules: number;
}

const CHUNK = 2000;

function addElements(
  out: string[],
  table: string,
  name: string,
  els: readonly string[],
  verb = "add",
): void {
  for (let i = 0; i < els.length; i += CHUNK) {
    out.push(`${verb} element ${table} ${name} { ${els.slice(i, i + CHUNK).join(", ")} }`);
  }
}

/**
 * The whole table as one script that replaces any previous version
 * atomically: `add table` (so the delete cannot fail), `delete table`, then
 * everything again. Chains are declared before sets and rules so jumps and
 * map verdicts resolve.
 */
export function fullScript(rs: Ruleset): NftScript {
  const t = rs.table;
  const out: string[] = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  let elements = 0;
  let rules = 0;
  for (const [name, c] of rs.chains)
    out.push(c.hook ? `add chain ${t} ${name} { ${c.hook} }` : `add chain ${t} ${name}`);
  for (const [name, s] of rs.sets) {
    out.push(`add ${s.decl.includes(": verdict") ? "map" : "set"} ${t} ${name} { ${s.decl} }`);
    addElements(out, t, name, s.elements);
    elements += s.elements.length;
  }
  for (const [name, c] of rs.chains) {
    for (const r of c.rules) out.push(`add rule ${t} ${name} ${r}`);
    rules += c.rules.length;
  }
  return { text: `${out.join("\n")}\n`, commands: out.length, elements, rules };
}

/** A script that deletes the table (nothing if it is absent: `add` first). */
export function deleteScript(table: string): string {
  return `add table ${table}\ndelete table ${table}\n`;
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The script that turns `from` into `to`, touching only what differs:
 * new chains and sets are created, changed set elements added/deleted one by
 * one, changed chains flushed and refilled, and whatever is gone flushed and
 * deleted last (a chain must be empty and unreferenced to be deleted).
 */
export function diffScript(from: Ruleset, to: Ruleset): NftScript {
  const t = to.table;
  const out: string[] = [];
  let elements = 0;
  let rules = 0;
  for (const [name, c] of to.chains) {
    if (!from.chains.has(name))
      out.push(c.hook ? `add chain ${t} ${name} { ${c.hook} }` : `add chain ${t} ${name}`);
  }
  const setVerb = (s: NftSet) => (s.decl.includes(": verdict") ? "map" : "set");
  // Sets: new ones first, then changed elements (deletes before adds, so
  // interval sets never see overlaps), verdict maps after the chains they name exist.
  for (const [name, s] of to.sets) {
    const old = from.sets.get(name);
    if (old && old.decl !== s.decl)
      throw new Error(`set ${name} changed type; names must encode type`);
    if (!old) {
      out.push(`add ${setVerb(s)} ${t} ${name} { ${s.decl} }`);
      addElements(out, t, name, s.elements);
      elements += s.elements.length;
      continue;
    }
    const now = new Set(s.elements);
    const before = new Set(old.elements);
    const gone = old.elements.filter((e) => !now.has(e));
    const added = s.elements.filter((e) => !before.has(e));
    if (gone.length) addElements(out, t, name, gone.map(elementKey), "delete");
    addElements(out, t, name, added);
    elements += gone.length + added.length;
  }
  for (const [name, c] of to.chains) {
    const old = from.chains.get(name);
    if (old && sameRules(old.rules, c.rules)) continue;
    if (old) out.push(`flush chain ${t} ${name}`);
    for (const r of c.rules) out.push(`add rule ${t} ${name} ${r}`);
    rules += c.rules.length;
  }
  const goneChains = [...from.chains.keys()].filter((n) => !to.chains.has(n));
  for (const n of goneChains) out.push(`flush chain ${t} ${n}`);
  for (const n of goneChains) out.push(`delete chain ${t} ${n}`);
  for (const [name, s] of from.sets)
    if (!to.sets.has(name)) out.push(`delete ${setVerb(s)} ${t} ${name}`);
  return { text: out.length ? `${out.join("\n")}\n` : "", commands: out.length, elements, rules };
}

/** The key part of an element (a verdict map element is deleted by key alone). */
function elementKey(e: string): string {
  const i = e.indexOf(" : ");
  return i < 0 ? e : e.slice(0, i);
}
