// Byte-level helpers shared by every decoder and encoder: big-endian reads
// (network byte order, RFC 4271 §4) and a growable writer.

/** Reads a big-endian 16-bit unsigned integer at `o`. */
export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Reads a big-endian 32-bit unsigned integer at `o`. */
export function u32(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** A growable big-endian byte writer (holds state, hence a class). */
export class ByteWriter {
  /** The backing buffer; valid up to {@link ByteWriter.pos}. */
  buf: Uint8Array;
  /** The next write position. */
  pos = 0;

  /** Creates a writer with `capacity` bytes reserved. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Writes one octet. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Writes a big-endian 16-bit value. */
  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  /** Writes a big-endian 32-bit value. */
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = v >>> 16;
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v;
  }

  /** Writes raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Overwrites a 16-bit value at an earlier position (length fields). */
  patch16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }

  /** Overwrites one octet at an earlier position. */
  patch8(at: number, v: number): void {
    this.buf[at] = v;
  }

  /** The bytes written so far, as a fresh copy. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
