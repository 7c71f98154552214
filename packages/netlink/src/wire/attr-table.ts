// Attribute tables: the one decode/encode loop of the message codecs whose
// attributes each map to one field (struct nlattr, linux/netlink.h; RFC 3549
// §2.3.2). Decoding reads each attribute into its field (the last one of a
// type wins) and keeps attributes with no field raw in `unknown`; encoding
// writes each present field in table order, then `unknown` verbatim.
import {
  copyBytes,
  forEachAttr,
  type RawAttr,
  readBe16,
  readI32,
  readString,
  readU8,
  readU32,
  type Writer,
} from "./bytes.js";
import { formatIP, formatMac, parseIP, parseMac } from "./ip.js";

/** How one attribute's payload reads into a value and writes back. */
export interface AttrCodec<V> {
  /** Reads a payload; `at` is the message's offset, for error positions. */
  readonly read: (payload: Uint8Array, at: number) => V;
  /** Writes `value` as an attribute of nla_type `type`. */
  readonly write: (w: Writer, type: number, value: V) => void;
}

/** u8 (host order is moot). */
export const u8Attr: AttrCodec<number> = { read: readU8, write: (w, t, v) => w.attrU8(t, v) };
/** u32 in host order. */
export const u32Attr: AttrCodec<number> = { read: readU32, write: (w, t, v) => w.attrU32(t, v) };
/** i32 in host order. */
export const i32Attr: AttrCodec<number> = { read: readI32, write: (w, t, v) => w.attrI32(t, v) };
/** 16 bits in network order (ports). */
export const be16Attr: AttrCodec<number> = { read: readBe16, write: (w, t, v) => w.attrBe16(t, v) };
/** A u8 that is 0 or 1. */
export const boolAttr: AttrCodec<boolean> = {
  read: (p, at) => readU8(p, at) !== 0,
  write: (w, t, v) => w.attrU8(t, v ? 1 : 0),
};
/** A NUL-terminated string. */
export const stringAttr: AttrCodec<string> = {
  read: (p) => readString(p),
  write: (w, t, v) => w.attrString(t, v),
};
/** An IPv4 or IPv6 address in text form. */
export const ipAttr: AttrCodec<string> = {
  read: (p) => formatIP(p),
  write: (w, t, v) => w.attrBytes(t, parseIP(v)),
};
/**
 * An IPv4 or IPv6 address written under its family's nla_type: the field's
 * own type for IPv4, `v6Type` for IPv6 (read from either).
 */
export function ipAttrByFamily(v6Type: number): AttrCodec<string> {
  return {
    read: (p) => formatIP(p),
    write: (w, t, v) => {
      const b = parseIP(v);
      w.attrBytes(b.length === 4 ? t : v6Type, b);
    },
  };
}
/** A link-layer address in text form ("02:00:5e:00:53:01"). */
export const macAttr: AttrCodec<string> = {
  read: (p) => formatMac(p),
  write: (w, t, v) => w.attrBytes(t, parseMac(v)),
};

/** One attribute ↔ one field of `T`. */
export interface AttrField<T> {
  /** The nla_type written (and read). */
  readonly type: number;
  /** Further nla_types read into the same field (an IPv6 twin, say). */
  readonly alsoReads?: readonly number[];
  /** The field. */
  readonly key: keyof T;
  /** The payload's form (its value type checked by {@link attrField}). */
  readonly codec: AttrCodec<unknown>;
  /** When true for a present value, encoding leaves the attribute out. */
  readonly omit?: (value: unknown) => boolean;
}

/** An {@link AttrField} with its codec's value type checked against the field's. */
export function attrField<T, K extends keyof T>(
  type: number,
  key: K,
  codec: AttrCodec<NonNullable<T[K]>>,
  more: {
    alsoReads?: readonly number[];
    omit?: (value: NonNullable<T[K]>) => boolean;
  } = {},
): AttrField<T> {
  // The one erasure: each field's codec and omit take that field's values.
  return { type, key, ...more, codec } as unknown as AttrField<T>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The attributes of one message (or nest) whose attributes each fill one field. */
export class AttrTable<T extends { readonly unknown?: readonly RawAttr[] }> {
  private readonly byType = new Map<number, AttrField<T>>();

  /** @param fields in the order encoding writes them. */
  constructor(private readonly fields: readonly AttrField<T>[]) {
    for (const f of fields) {
      this.byType.set(f.type, f);
      for (const t of f.alsoReads ?? []) this.byType.set(t, f);
    }
  }

  /**
   * Reads the attributes in `b[start..)` into `into`, attributes with no
   * field into `into.unknown` (set only when there are any). `base` is the
   * offset of `b` within the whole message, for error positions.
   */
  decode(b: Uint8Array, start: number, base: number, into: Mutable<T>): void {
    const unknown: RawAttr[] = [];
    const out = into as Record<keyof T, unknown>;
    forEachAttr(b, start, b.length, base, (type, val, raw) => {
      const f = this.byType.get(type);
      if (f) out[f.key] = f.codec.read(val, base);
      else unknown.push({ type: raw, value: copyBytes(val) });
    });
    if (unknown.length) into.unknown = unknown;
  }

  /** Writes the attributes of `obj`: its present fields in table order, then `unknown`. */
  encode(w: Writer, obj: T): void {
    for (const f of this.fields) {
      const v = obj[f.key];
      if (v === undefined || f.omit?.(v)) continue;
      f.codec.write(w, f.type, v);
    }
    for (const u of obj.unknown ?? []) w.attrBytes(u.type, u.value);
  }
}
