// Requests, dumps and batches over one NetlinkSocket, with sequence numbers,
// acknowledgements mapped to typed errors, and bounded event-loop stalls.
//
// - request: one message with NLM_F_ACK; replies carrying its sequence number
//   are collected until the NLMSG_ERROR that acknowledges (or refuses) it.
// - dump: NLM_F_DUMP; multipart replies until NLMSG_DONE. The kernel fills
//   the next part on each recv, so reading is done in slices that yield to the
//   event loop whenever a slice has run longer than `sliceMs`.
// - batch: many messages per sendto, NLM_F_ACK only on the last of each chunk.
//   The kernel still answers every failed message with an NLMSG_ERROR (errors
//   are always reported), so one ACK per chunk proves the whole chunk was done.
//
// Operations on one connection are serialised (a promise queue): a reply
// always belongs to the operation that is running.
import { setImmediate as yieldTurn } from "node:timers/promises";
import { NetlinkError, NetlinkSocketError } from "../errors.js";
import { Writer } from "../wire/bytes.js";
import { NlmFlags } from "../wire/constants.js";
import { type Body, decodeMessages, encodeMessage, type Message } from "../wire/message.js";
/** What a connection needs of a socket (a `NetlinkSocket` in production, fakes in tests). */
export interface PacketSocket {
  /** Sends one datagram; the kernel has handled it when this returns. */
  send(bytes: Uint8Array): void;
  /** One queued datagram, or undefined when none is queued (never blocks). */
  recv(): Uint8Array | undefined;
  /** Resolves when a datagram is queued (true) or on timeout/close (false). */
  readable(timeoutMs?: number): Promise<boolean>;
  /** Closes the socket. */
  close(): void;
  /** True once closed. */
  readonly isClosed: boolean;
}

/** One message of a batch. */
export interface BatchItem {
  /** RTM_* message type. */
  readonly type: number;
  /** NLM_F_* flags besides REQUEST/ACK (e.g. CREATE|REPLACE). */
  readonly flags: number;
  /** The message body. */
  readonly body: Body;
}

/** One refused message of a batch. */
export interface BatchFailure {
  /** Index of the item in the batch. */
  readonly index: number;
  /** The kernel's refusal. */
  readonly error: NetlinkError;
}

/** What a batch did. */
export interface BatchResult {
  /** Messages sent. */
  readonly sent: number;
  /** The items the kernel refused (the others were applied). */
  readonly failures: readonly BatchFailure[];
}

/** Options of {@link Connection.batch}. */
export interface BatchOptions {
  /**
   * Bytes per sendto. Default: adaptive, starting at 8 KiB (about 135 IPv4
   * routes) and halved or doubled (4 KiB – 64 KiB) so that one sendto — the
   * kernel does the work inside it — stays near the connection's slice time.
   * (The kernel's cost per route is uneven: a FIB trie resize can make one
   * 32 KiB send cost 40–60 ms of CPU, hence the small start and cap.)
   */
  readonly chunkBytes?: number;
  /** Describes item `i` for error messages (default: the operation name). */
  readonly describe?: (i: number) => string;
}

/** Counters of a connection, for measuring how long it held the event loop. */
export interface ConnectionStats {
  /** Longest synchronous slice (ms) run between two yields to the event loop. */
  maxSliceMs: number;
  /**
   * Longest slice in CPU time of this process (user + system, so including
   * the kernel's work inside sendto/recv). Unlike the wall-clock figure it
   * does not grow when other processes take the CPU away.
   */
  maxSliceCpuMs: number;
  /** Requests, dumps and batch chunks sent. */
  sends: number;
  /** Datagrams received. */
  datagrams: number;
}

/** A dump's result. */
export interface DumpResult {
  /** The objects dumped (NLMSG_DONE excluded). */
  readonly messages: Message[];
  /** NLM_F_DUMP_INTR was set: the table changed during the dump; dump again. */
  readonly interrupted: boolean;
}

interface SliceMark {
  readonly wall: number;
  readonly cpu: NodeJS.CpuUsage;
}

/** Request/response client over a socket (a `NetlinkSocket`). */
export class Connection {
  private seq: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly w = new Writer(64 * 1024);
  /** Measurements since the connection opened. */
  readonly stats: ConnectionStats = {
    maxSliceMs: 0,
    maxSliceCpuMs: 0,
    sends: 0,
    datagrams: 0,
  };

  constructor(
    /** The socket; owned by this connection. */
    readonly socket: PacketSocket,
    /** Longest slice of synchronous work before yielding (ms). */
    private readonly sliceMs = 4,
    /** Give up waiting for the kernel after this long (ms). */
    private readonly timeoutMs = 30_000,
  ) {
    this.seq = (Date.now() & 0xffff) << 12;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Receives datagrams and hands each message to `on` until it returns true. */
  private async readUntil(on: (m: Message) => boolean): Promise<void> {
    let sliceStart = this.mark();
    let waited = 0;
    for (;;) {
      const d = this.socket.recv();
      if (d === undefined) {
        this.noteSlice(sliceStart);
        if (waited >= this.timeoutMs) {
          throw new NetlinkSocketError("recv", 110, "no answer from the kernel");
        }
        const t0 = performance.now();
        await this.socket.readable(250);
        if (this.socket.isClosed) throw new NetlinkSocketError("recv", 9, "socket closed");
        waited += performance.now() - t0;
        sliceStart = this.mark();
        continue;
      }
      this.stats.datagrams++;
      for (const m of decodeMessages(d)) {
        if (on(m)) {
          this.noteSlice(sliceStart);
          return;
        }
      }
      if (performance.now() - sliceStart.wall > this.sliceMs) {
        this.noteSlice(sliceStart);
        await yieldTurn();
        sliceStart = this.mark();
      }
    }
  }

  private mark(): SliceMark {
    return { wall: performance.now(), cpu: process.cpuUsage() };
  }

  private noteSlice(start: SliceMark): void {
    const d = performance.now() - start.wall;
    if (d > this.stats.maxSliceMs) this.stats.maxSliceMs = d;
    const c = process.cpuUsage(start.cpu);
    const cpu = (c.user + c.system) / 1000;
    if (cpu > this.stats.maxSliceCpuMs) this.stats.maxSliceCpuMs = cpu;
  }

  private sendOne(type: number, flags: number, body: Body): number {
    const seq = this.nextSeq();
    this.w.reset();
    encodeMessage(this.w, { type, flags: flags | NlmFlags.request, seq }, body);
    const t0 = this.mark();
    this.socket.send(this.w.view0());
    this.noteSlice(t0);
    this.stats.sends++;
    return seq;
  }

  /**
   * Sends one request with NLM_F_ACK and returns the replies that carry its
   * sequence number (e.g. the object of a GET, or an NLM_F_ECHO). Throws
   * {@link NetlinkError} when the kernel refuses it.
   */
  request(operation: string, type: number, flags: number, body: Body): Promise<Message[]> {
    return this.exclusive(async () => {
      const seq = this.sendOne(type, flags | NlmFlags.ack, body);
      const out: Message[] = [];
      let failure: NetlinkError | undefined;
      await this.readUntil((m) => {
        if (m.header.seq !== seq) return false;
        if (m.kind === "error") {
          if (m.error.errno !== 0)
            failure = new NetlinkError(operation, m.error.errno, m.error.message);
          return true;
        }
        out.push(m);
        return false;
      });
      if (failure) throw failure;
      return out;
    });
  }

  /**
   * Dumps (NLM_F_DUMP) and returns every object. When the kernel flags the
   * dump as interrupted (NLM_F_DUMP_INTR: the table changed meanwhile) it
   * dumps again, up to `attempts` times, and reports whether the last one was
   * still interrupted. Throws {@link NetlinkError} on refusal.
   */
  async dump(operation: string, type: number, body: Body, attempts = 3): Promise<DumpResult> {
    let r = await this.dumpOnce(operation, type, body);
    for (let i = 1; i < attempts && r.interrupted; i++)
      r = await this.dumpOnce(operation, type, body);
    return r;
  }

  private dumpOnce(operation: string, type: number, body: Body): Promise<DumpResult> {
    return this.exclusive(async () => {
      const seq = this.sendOne(type, NlmFlags.dump, body);
      const messages: Message[] = [];
      let interrupted = false;
      let failure: NetlinkError | undefined;
      await this.readUntil((m) => {
        if (m.header.seq !== seq) return false;
        if (m.header.flags & NlmFlags.dumpIntr) interrupted = true;
        if (m.kind === "done") {
          if (m.errno !== 0) failure = new NetlinkError(operation, m.errno);
          return true;
        }
        if (m.kind === "error") {
          failure = new NetlinkError(operation, m.error.errno, m.error.message);
          return true;
        }
        messages.push(m);
        return false;
      });
      if (failure) throw failure;
      return { messages, interrupted };
    });
  }

  /**
   * Sends many messages, several per sendto, and reports which the kernel
   * refused. Not atomic: the others are applied.
   */
  batch(
    operation: string,
    items: readonly BatchItem[],
    opts: BatchOptions = {},
  ): Promise<BatchResult> {
    return this.batchOf(operation, items.length, (i) => items[i]!, opts);
  }

  /**
   * Like {@link Connection.batch}, with items made on demand (`item(i)` is
   * called while the chunk holding it is encoded), so that building a large
   * batch never holds the event loop for long.
   */
  batchOf(
    operation: string,
    count: number,
    item: (i: number) => BatchItem,
    opts: BatchOptions = {},
  ): Promise<BatchResult> {
    return this.exclusive(async () => {
      let chunkBytes = opts.chunkBytes ?? 8 * 1024;
      const adaptive = opts.chunkBytes === undefined;
      const failures: BatchFailure[] = [];
      const w = new Writer((opts.chunkBytes ?? 64 * 1024) + 4096);
      const items = { length: count };
      let i = 0;
      while (i < items.length) {
        const t0 = this.mark();
        w.reset();
        const firstSeq = (this.seq + 1) >>> 0;
        const start = i;
        let lastSeq = 0;
        while (i < items.length && (w.length < chunkBytes || i === start)) {
          const it = item(i);
          lastSeq = this.nextSeq();
          const last = i === items.length - 1;
          encodeMessage(
            w,
            { type: it.type, flags: it.flags | NlmFlags.request, seq: lastSeq },
            it.body,
          );
          i++;
          if (last) break;
        }
        // Re-mark the last message of the chunk with NLM_F_ACK (flags at offset 6 of its header).
        const bytes = w.view0();
        markLastAck(bytes);
        const tSend = performance.now();
        this.socket.send(bytes);
        const sendMs = performance.now() - tSend;
        this.stats.sends++;
        this.noteSlice(t0);
        if (adaptive) {
          if (sendMs > this.sliceMs && chunkBytes > 4096) chunkBytes >>= 1;
          else if (sendMs < this.sliceMs / 4 && chunkBytes < 64 * 1024) chunkBytes <<= 1;
        }
        await this.readUntil((m) => {
          if (m.kind !== "error") return false;
          const s = m.header.seq;
          const idx = start + ((s - firstSeq) >>> 0);
          if (idx < start || idx >= i) return false;
          if (m.error.errno !== 0) {
            const what = opts.describe ? opts.describe(idx) : operation;
            failures.push({
              index: idx,
              error: new NetlinkError(what, m.error.errno, m.error.message),
            });
          }
          return s === lastSeq;
        });
        await yieldTurn();
      }
      return { sent: items.length, failures };
    });
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}

/** Sets NLM_F_ACK on the last message in a buffer of several. */
function markLastAck(b: Uint8Array): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  let off = 0;
  let last = 0;
  while (off < b.length) {
    last = off;
    off += (v.getUint32(off, le) + 3) & ~3;
  }
  v.setUint16(last + 6, v.getUint16(last + 6, le) | NlmFlags.ack, le);
}
