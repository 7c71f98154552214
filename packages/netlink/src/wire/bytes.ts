// Byte-level helpers shared by every message codec: a growable writer that
// lays out netlink messages and attributes with their 4-byte alignment, and
// the attribute iterator.
//
// Netlink attribute (struct nlattr, linux/netlink.h; RFC 3549 §2.3.2):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        nla_len (header+payload)|N|O|      nla_type            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   payload … padded with zeros to a multiple of 4 bytes         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   N = NLA_F_NESTED, O = NLA_F_NET_BYTEORDER
//
// Integers in headers and attributes are in host byte order (netlink is a
// local protocol), except where an attribute says otherwise (ports, VNIs).

import { NLA_TYPE_MASK } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";

/** True on little-endian hosts: netlink integers are in host byte order. */
export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Rounds up to the netlink alignment of 4 bytes (NLMSG_ALIGN / NLA_ALIGN). */
export const align4 = (n: number): number => (n + 3) & ~3;

/** An attribute kept as raw bytes: unknown types are carried through unchanged. */
export interface RawAttr {
  /** nla_type including the NESTED / NET_BYTEORDER flag bits as received. */
  readonly type: number;
  readonly value: Uint8Array;
}

/** A growable buffer that writes netlink messages and attributes in place. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(initial = 4096) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends a u8. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
  }
  /** Appends a u16 in host byte order. */
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, HOST_LE);
    this.length += 2;
  }
  /** Appends a u32 in host byte order. */
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, HOST_LE);
    this.length += 4;
  }
  /** Appends an i32 in host byte order. */
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v, HOST_LE);
    this.length += 4;
  }
  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** Pads with zeros to the next multiple of 4. */
  pad(): void {
    const n = align4(this.length) - this.length;
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  /** Overwrites a u16 at `at` (host order). */
  patch16(at: number, v: number): void {
    this.view.setUint16(at, v, HOST_LE);
  }
  /** Overwrites a u32 at `at` (host order). */
  patch32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, HOST_LE);
  }

  /** Starts an attribute; returns its offset for {@link Writer.endAttr}. */
  beginAttr(type: number): number {
    const at = this.length;
    this.u16(0);
    this.u16(type);
    return at;
  }
  /** Closes an attribute begun at `at`: writes nla_len, then pads. */
  endAttr(at: number): void {
    const len = this.length - at;
    if (len > 0xffff) throw new RangeError(`netlink attribute too long: ${len} bytes`);
    this.patch16(at, len);
    this.pad();
  }
  /** An attribute with a raw payload. */
  attrBytes(type: number, v: Uint8Array): void {
    const at = this.beginAttr(type);
    this.bytes(v);
    this.endAttr(at);
  }
  /** A u8 attribute. */
  attrU8(type: number, v: number): void {
    const at = this.beginAttr(type);
    this.u8(v);
    this.endAttr(at);
  }
  /** A u16 attribute (host order). */
  attrU16(type: number, v: number): void {
    const at = this.beginAttr(type);
    this.u16(v);
    this.endAttr(at);
  }
  /** A 16-bit attribute in network byte order (e.g. a UDP port). */
  attrBe16(type: number, v: number): void {
    const at = this.beginAttr(type);
    this.u8((v >> 8) & 0xff);
    this.u8(v & 0xff);
    this.endAttr(at);
  }
  /** A u32 attribute (host order). */
  attrU32(type: number, v: number): void {
    const at = this.beginAttr(type);
    this.u32(v);
    this.endAttr(at);
  }
  /** An i32 attribute (host order). */
  attrI32(type: number, v: number): void {
    const at = this.beginAttr(type);
    this.i32(v);
    this.endAttr(at);
  }
  /** A NUL-terminated string attribute. */
  attrString(type: number, s: string): void {
    const at = this.beginAttr(type);
    this.bytes(utf8.encode(s));
    this.u8(0);
    this.endAttr(at);
  }
  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
  /** The bytes written so far, without copying (valid until the next write). */
  view0(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  /** Forgets what was written, keeping the buffer. */
  reset(): void {
    this.length = 0;
  }
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: false });

/** A DataView over a Uint8Array's own window. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Calls `fn(type, value)` for each attribute in `b[start..end)`. `base` is the
 * offset of `b` within the whole message, for error positions. Throws
 * {@link NetlinkDecodeError} on a length that runs past the end.
 */
export function forEachAttr(
  b: Uint8Array,
  start: number,
  end: number,
  base: number,
  fn: (type: number, value: Uint8Array, rawType: number) => void,
): void {
  const v = viewOf(b);
  let off = start;
  while (off + 4 <= end) {
    const len = v.getUint16(off, HOST_LE);
    const rawType = v.getUint16(off + 2, HOST_LE);
    if (len < 4 || off + len > end) {
      throw new NetlinkDecodeError(`attribute length ${len} out of bounds`, base + off);
    }
    fn(rawType & NLA_TYPE_MASK, b.subarray(off + 4, off + len), rawType);
    off += align4(len);
  }
  if (off < end && end - off < 4 && b.subarray(off, end).some((x) => x !== 0)) {
    throw new NetlinkDecodeError("trailing bytes after attributes", base + off);
  }
}

/** Reads a u8 attribute payload; throws when too short. */
export function readU8(v: Uint8Array, at: number): number {
  if (v.length < 1) throw new NetlinkDecodeError("u8 attribute too short", at);
  return v[0]!;
}
/** Reads a host-order u16 attribute payload. */
export function readU16(v: Uint8Array, at: number): number {
  if (v.length < 2) throw new NetlinkDecodeError("u16 attribute too short", at);
  return HOST_LE ? v[0]! | (v[1]! << 8) : (v[0]! << 8) | v[1]!;
}
/** Reads a network-order u16 attribute payload. */
export function readBe16(v: Uint8Array, at: number): number {
  if (v.length < 2) throw new NetlinkDecodeError("be16 attribute too short", at);
  return (v[0]! << 8) | v[1]!;
}
/** Reads a host-order i32 attribute payload. */
export function readI32(v: Uint8Array, at: number): number {
  if (v.length < 4) throw new NetlinkDecodeError("i32 attribute too short", at);
  return HOST_LE
    ? v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)
    : (v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!;
}
/** Reads a host-order u32 attribute payload. */
export function readU32(v: Uint8Array, at: number): number {
  if (v.length < 4) throw new NetlinkDecodeError("u32 attribute too short", at);
  return readI32(v, at) >>> 0;
}
/** Reads a string attribute (NUL-terminated or not). */
export function readString(v: Uint8Array): string {
  const nul = v.indexOf(0);
  return utf8d.decode(nul < 0 ? v : v.subarray(0, nul));
}
/** A copy of an attribute payload (decoded messages never alias the receive buffer). */
export const copyBytes = (v: Uint8Array): Uint8Array => v.slice();
