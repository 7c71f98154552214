// Cuts a TCP byte stream into whole BGP messages, whatever the chunk
// boundaries (RFC 4271 §4.1: the Length field delimits messages). Holds the
// partial message between chunks, hence a class. Work is linear in the bytes
// pushed: a message split over many chunks is assembled once, in place.
//
// Every header is checked (checkHeader) the moment its 19 octets are in: a
// Length above the negotiated maximum is refused at once, not after the peer
// has sent — or never sends — the octets it announced (RFC 4271 §6.1). The
// session reads one message at a time (`feed` then `next` until undefined) so
// that a message it has processed can change the maximum for the next one
// (RFC 8654: Extended Message once Established), and so that messages before
// a broken header in the same chunk are handled before the error is.
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from "./constants.js";
import { BgpDecodeError } from "./errors.js";
import { checkHeader } from "./header.js";

/** Options of a {@link Framer}. */
export interface FramerOptions {
  /**
   * The largest message accepted (default 4096, RFC 4271 §4.1); set it to
   * 65,535 once Extended Message is negotiated (RFC 8654). OPEN is always
   * limited to 4096.
   */
  readonly maxLength?: number;
}

/**
 * Accepts arbitrary chunks of a BGP byte stream and returns whole messages,
 * always as plain `Uint8Array`s (a Node `Buffer` pushed in comes out as
 * `Uint8Array` views of its memory). Messages that lie inside one chunk are
 * returned as views of it (no copy), so the caller must not reuse a chunk's
 * memory after pushing it; messages assembled from several chunks are fresh
 * copies.
 *
 * After an error the stream is unusable: the framer keeps answering with the
 * same error and the session resets.
 */
export class Framer {
  /** The largest message accepted from now on (see {@link FramerOptions.maxLength}). */
  maxLength: number;
  private pending = new Uint8Array(256);
  private have = 0;
  /** Length of the pending message once its header is in and checked. */
  private pendingLength = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private off = 0;
  private failure: BgpDecodeError | undefined;

  constructor(opts: FramerOptions = {}) {
    this.maxLength = opts.maxLength ?? MAX_MESSAGE_LENGTH;
  }

  /**
   * Hands the framer the next chunk of the stream; take the messages with
   * {@link next}. Octets of an earlier chunk that {@link next} has not reached
   * yet are kept first.
   */
  feed(chunk: Uint8Array): void {
    // Node's Buffers are a subclass of Uint8Array with a map of their own: a
    // plain view of the same octets keeps every message the decoders see one
    // type, whether it was cut out of a chunk or joined from several (V8
    // then compiles the decoders once, for one map, instead of optimising
    // them for one and throwing that code away when the other first comes).
    if (chunk.constructor !== Uint8Array)
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const left = this.chunk.length - this.off;
    if (left > 0) {
      // The caller stopped before `next` returned undefined: keep the rest first.
      const joined = new Uint8Array(left + chunk.length);
      joined.set(this.chunk.subarray(this.off));
      joined.set(chunk, left);
      chunk = joined;
    }
    this.chunk = chunk;
    this.off = 0;
  }

  /**
   * The next whole message, or undefined when the octets fed so far end
   * inside one (they are kept for the next {@link feed}). Throws
   * {@link BgpDecodeError} for a broken header — as soon as its 19 octets are
   * there, checked against {@link maxLength} as it is at this call.
   */
  next(): Uint8Array | undefined {
    if (this.failure) throw this.failure;
    try {
      return this.take();
    } catch (e) {
      if (e instanceof BgpDecodeError) this.failure = e;
      throw e;
    }
  }

  /**
   * Adds a chunk and returns every message now complete, in order. Throws
   * {@link BgpDecodeError} on a broken header; the messages before it in the
   * same call are then lost — a session uses {@link feed} and {@link next}.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.feed(chunk);
    const out: Uint8Array[] = [];
    for (let m = this.next(); m; m = this.next()) out.push(m);
    return out;
  }

  private take(): Uint8Array | undefined {
    const chunk = this.chunk;
    // Finish the message begun in earlier chunks.
    if (this.have > 0) {
      if (this.have < HEADER_LENGTH) {
        this.off += this.append(chunk, this.off, HEADER_LENGTH - this.have);
        if (this.have < HEADER_LENGTH) return undefined;
      }
      if (this.pendingLength === 0) {
        this.pendingLength = checkHeader(this.pending.subarray(0, this.have), 0, this.maxLength)!;
      }
      this.off += this.append(chunk, this.off, this.pendingLength - this.have);
      if (this.have < this.pendingLength) return undefined;
      const msg = this.pending.slice(0, this.pendingLength);
      this.have = 0;
      this.pendingLength = 0;
      return msg;
    }
    // A message inside the chunk: a view, no copy.
    const len = checkHeader(chunk, this.off, this.maxLength);
    if (len !== undefined && this.off + len <= chunk.length) {
      const msg = chunk.subarray(this.off, this.off + len);
      this.off += len;
      return msg;
    }
    // The chunk ends inside a message (its header already checked, if whole).
    if (this.off < chunk.length) {
      this.append(chunk, this.off, chunk.length - this.off);
      this.off = chunk.length;
      this.pendingLength = len ?? 0;
    }
    return undefined;
  }

  /** Copies up to `max` octets of `chunk` from `off` into the pending message; returns how many. */
  private append(chunk: Uint8Array, off: number, max: number): number {
    const n = Math.min(max, chunk.length - off);
    if (n <= 0) return 0;
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
    return this.have + (this.chunk.length - this.off);
  }
}
