// Cuts a TCP byte stream into whole BGP messages, whatever the chunk
// boundaries (RFC 4271 §4.1: the Length field delimits messages). Holds the
// partial message between chunks, hence a class. Work is linear in the bytes
// pushed: a message split over many chunks is assembled once, in place.
import { HEADER_LENGTH } from "./constants.js";
import { messageLength } from "./header.js";

/**
 * Accepts arbitrary chunks of a BGP byte stream and returns whole messages.
 * Messages that lie inside one chunk are returned as views of it (no copy),
 * so the caller must not reuse a chunk's memory after pushing it; messages
 * assembled from several chunks are fresh copies.
 */
export class Framer {
  private pending = new Uint8Array(256);
  private have = 0;

  /**
   * Adds a chunk and returns every message now complete, in order. Throws
   * {@link BgpDecodeError} on a bad marker or length (the stream is then
   * unusable; the session resets).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let off = 0;
    // Finish the message begun in earlier chunks.
    while (this.have > 0 && off < chunk.length) {
      if (this.have < HEADER_LENGTH) {
        off += this.append(chunk, off, HEADER_LENGTH - this.have);
        if (this.have < HEADER_LENGTH) break;
      }
      const len = messageLength(this.pending.subarray(0, this.have))!;
      off += this.append(chunk, off, len - this.have);
      if (this.have === len) {
        out.push(this.pending.slice(0, len));
        this.have = 0;
      }
    }
    // Whole messages inside the chunk: views, no copy.
    if (this.have === 0) {
      for (;;) {
        const len = messageLength(chunk, off);
        if (len === undefined || off + len > chunk.length) break;
        out.push(chunk.subarray(off, off + len));
        off += len;
      }
      if (off < chunk.length) this.append(chunk, off, chunk.length - off);
    }
    return out;
  }

  /** Copies up to `max` octets of `chunk` from `off` into the pending message; returns how many. */
  private append(chunk: Uint8Array, off: number, max: number): number {
    const n = Math.min(max, chunk.length - off);
    if (this.have + n > this.pending.length) {
      let size = this.pending.length * 2;
      while (size < this.have + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.pending.subarray(0, this.have));
      this.pending = next;
    }
    this.pending.set(chunk.subarray(off, off + n), this.have);
    this.have += n;
    return n;
  }

  /** Number of buffered octets of an incomplete message. */
  get buffered(): number {
    return this.have;
  }
}
