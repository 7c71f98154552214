// Cuts a TCP byte stream into whole BGP messages, whatever the chunk
// boundaries (RFC 4271 §4.1: the Length field delimits messages). Holds the
// partial tail between chunks, hence a class.
import { messageLength } from "./header.js";

/**
 * Accepts arbitrary chunks of a BGP byte stream and returns whole messages.
 * Messages that lie inside one chunk are returned as views of it (no copy),
 * so the caller must not reuse a chunk's memory after pushing it.
 */
export class Framer {
  private pending: Uint8Array = new Uint8Array(0);

  /**
   * Adds a chunk and returns every message now complete, in order. Throws
   * {@link BgpDecodeError} on a bad marker or length (the stream is then
   * unusable; the session resets).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    let buf = chunk;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    const out: Uint8Array[] = [];
    let off = 0;
    for (;;) {
      const len = messageLength(buf, off);
      if (len === undefined || off + len > buf.length) break;
      out.push(buf.subarray(off, off + len));
      off += len;
    }
    this.pending = off === buf.length ? new Uint8Array(0) : buf.slice(off);
    return out;
  }

  /** Number of buffered octets of an incomplete message. */
  get buffered(): number {
    return this.pending.length;
  }
}
