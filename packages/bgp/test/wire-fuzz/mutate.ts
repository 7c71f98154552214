// Seeded, reproducible mutations of one BGP message: the same seed gives the
// same inputs in the same order on every machine (mulberry32, no Math.random).
// The operators aim at what a BGP parser trusts: the header's Length and
// Type, the marker, length fields inside the body (by octet changes), and the
// size bounds (4095/4096/4097/65535, the class of issue #19).

/** A 32-bit seeded PRNG (mulberry32): `next()` in [0, 1). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** A seed for one worker, derived from the campaign seed and a name (FNV-1a). */
export function subSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];
const LENGTHS = [
  0, 1, 18, 19, 20, 21, 22, 23, 24, 28, 29, 30, 4075, 4095, 4096, 4097, 65534, 65535,
];

function setLength(b: Uint8Array, len: number): void {
  if (b.length < 18) return;
  b[16] = (len >> 8) & 0xff;
  b[17] = len & 0xff;
}

type Op = (b: Uint8Array, r: Rng) => Uint8Array;

/** The mutation operators, by name (the name is recorded with each input). */
export const OPERATORS: Readonly<Record<string, Op>> = {
  /** One bit, in the body four times out of five. */
  bitflip(b, r) {
    if (!b.length) return b;
    const at = b.length > 19 && r.next() < 0.8 ? 19 + r.int(b.length - 19) : r.int(b.length);
    b[at]! ^= 1 << r.int(8);
    return b;
  },
  /** One body octet (a header octet when there is no body) set to an edge value or any. */
  byte(b, r) {
    if (!b.length) return b;
    const at = b.length > 19 ? 19 + r.int(b.length - 19) : r.int(b.length);
    b[at] = r.next() < 0.6 ? r.pick(INTERESTING) : r.int(256);
    return b;
  },
  length(b, r) {
    setLength(
      b,
      r.next() < 0.7
        ? r.pick(LENGTHS)
        : r.next() < 0.5
          ? b.length + r.pick([-2, -1, 1, 2])
          : r.int(65536),
    );
    return b;
  },
  type(b, r) {
    if (b.length > 18) b[18] = r.next() < 0.8 ? r.int(8) : r.int(256);
    return b;
  },
  marker(b, r) {
    if (b.length) b[r.int(Math.min(16, b.length))] = r.int(255);
    return b;
  },
  truncate(b, r) {
    return b.slice(0, r.int(b.length + 1));
  },
  extend(b, r) {
    const tail = r.bytes(1 + r.int(64));
    const out = new Uint8Array(b.length + tail.length);
    out.set(b);
    out.set(tail, b.length);
    return out;
  },
  insert(b, r) {
    const at = b.length > 19 ? 19 + r.int(b.length - 18) : r.int(b.length + 1);
    const ins = r.next() < 0.5 ? r.bytes(1 + r.int(8)) : Uint8Array.of(r.pick(INTERESTING));
    const out = new Uint8Array(b.length + ins.length);
    out.set(b.subarray(0, at));
    out.set(ins, at);
    out.set(b.subarray(at), at + ins.length);
    return out;
  },
  delete(b, r) {
    if (b.length < 2) return b;
    const at = b.length > 20 ? 19 + r.int(b.length - 19) : r.int(b.length);
    const n = 1 + r.int(Math.min(8, b.length - at));
    const out = new Uint8Array(b.length - n);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + n), at);
    return out;
  },
  duplicate(b, r) {
    if (b.length < 20) return b;
    const at = 19 + r.int(b.length - 19);
    const n = 1 + r.int(Math.min(32, b.length - at));
    const out = new Uint8Array(b.length + n);
    out.set(b.subarray(0, at + n));
    out.set(b.subarray(at, at + n), at + n);
    out.set(b.subarray(at + n), at + 2 * n);
    return out;
  },
  /** Padded to a size bound with the header saying so (the crash class). */
  oversize(b, r) {
    const len = r.pick([4095, 4096, 4097, 8192, 65535]);
    const out = new Uint8Array(len);
    out.set(b.subarray(0, Math.min(b.length, len)));
    setLength(out, len);
    return out;
  },
};
/** Operators by weight: mostly the body (so its parsers are reached), the header less often. */
const WEIGHTED = [
  ...Array(4).fill("byte"),
  ...Array(4).fill("bitflip"),
  ...Array(2).fill("insert"),
  ...Array(2).fill("delete"),
  ...Array(2).fill("duplicate"),
  "extend",
  "truncate",
  "length",
  "type",
  "marker",
] as const;

/** One mutated input and how it was made. */
export interface Mutation {
  readonly bytes: Uint8Array;
  /** Operators applied, in order ("+fix": the header Length was then set to the real length). */
  readonly ops: readonly string[];
}

/**
 * Applies one operator (two to four, one time in four); then, unless the
 * Length itself was the target, makes the header Length true three times in
 * four, so that the body parsers are reached rather than the framer alone.
 */
export function mutate(seed: Uint8Array, r: Rng): Mutation {
  let b: Uint8Array = seed.slice();
  const ops: string[] = [];
  const n = r.next() < 0.75 ? 1 : 2 + r.int(3);
  for (let i = 0; i < n; i++) {
    const name = r.next() < 0.04 ? "oversize" : r.pick(WEIGHTED);
    b = OPERATORS[name]!(b, r);
    ops.push(name);
  }
  // Nothing at all is not an input: an OPEN-phase connection that is sent
  // nothing rightly waits for the OPEN until the hold timer (RFC 4271 §8.2.2).
  if (b.length === 0) b = Uint8Array.of(r.int(256));
  if (!ops.includes("oversize") && !ops.includes("length") && r.next() < 0.75) {
    if (b.length <= 0xffff) setLength(b, b.length);
    ops.push("+fix");
  }
  return { bytes: b, ops };
}
