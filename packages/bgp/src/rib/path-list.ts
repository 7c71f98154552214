// A list of (prefix, Path Identifier) pairs kept without an object per
// entry: IPv4 prefixes as numbers (address, length, path id) in one array of
// doubles, the other families as prefix objects. What a peer's flush hands
// back (RFC 4271 §8.2.2: on a session's end every route learned on it is
// withdrawn) — a full table is a million entries, and a million retained
// prefix objects cost more than the flush itself.
import type { Prefix } from "../wire/prefix.js";
import { v4prefix } from "./dest-table.js";

/** Read-only (prefix, Path Identifier) pairs, IPv4 first. */
export interface PathList {
  /** Number of pairs. */
  readonly length: number;
  /** The `i`-th prefix, with `pathId` set when its Path Identifier is not 0 (RFC 7911). A new object each call. */
  prefix(i: number): Prefix;
}

/** A growable {@link PathList}. */
export class PathListBuilder implements PathList {
  /** IPv4: address, length, path id, three numbers per entry. */
  readonly #v4: number[] = [];
  readonly #other: Prefix[] = [];

  /** Number of pairs. */
  get length(): number {
    return this.#v4.length / 3 + this.#other.length;
  }

  /** Adds the IPv4 prefix `addr`/`length` (address as an unsigned 32-bit number). */
  addV4(addr: number, length: number, pathId: number): void {
    this.#v4.push(addr, length, pathId);
  }

  /** Adds a prefix of another family (its `pathId` is replaced by `pathId`, dropped when 0). */
  addOther(p: Prefix, pathId: number): void {
    this.#other.push(
      pathId === 0
        ? { afi: p.afi, length: p.length, bytes: p.bytes }
        : { afi: p.afi, length: p.length, bytes: p.bytes, pathId },
    );
  }

  /** The `i`-th prefix (see {@link PathList.prefix}). */
  prefix(i: number): Prefix {
    const n4 = this.#v4.length / 3;
    if (i >= n4) {
      const p = this.#other[i - n4];
      if (!p) throw new RangeError(`PathList: no entry ${i}`);
      return p;
    }
    if (i < 0 || !Number.isInteger(i)) throw new RangeError(`PathList: no entry ${i}`);
    const v = this.#v4;
    const p = v4prefix(v[3 * i]!, v[3 * i + 1]!);
    const pathId = v[3 * i + 2]!;
    return pathId === 0 ? p : { ...p, pathId };
  }
}
