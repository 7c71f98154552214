// The sending side of one Established session: drains the peer's
// Adj-RIB-Out (../rib/adj-rib-out.ts) into its socket.
//
//   Loc-RIB change ─► AdjRibOut.set (coalesced per route) ─► schedule()
//   tick (updateDelayMs) ─► takePacked(n) ─► packV4 (IPv4, from numbers)
//                                         └► batchToUpdates ─► encodeUpdates (the rest) ─► write
//   nothing pending, initial export not done ─► feed(n) (Rib.feedExport) ─► packV4 ─► write
//   write() returned false ─► stop taking; 'drain' ─► go on
//
// The initial export (RFC 4271 §9.4) is walked out of the Loc-RIB a chunk at
// a time, as the socket takes it: the first UPDATE leaves at once and the
// peer works on it while the rest is walked, instead of after a walk of the
// whole table; changes meanwhile are queued as usual and go first.
//
// A burst of changes becomes a few full UPDATEs (RFC 4271 §4.3: one set of
// path attributes per UPDATE, as many prefixes as fit), and a peer that
// reads slowly holds back only its own queue — what it has not been sent yet
// stays coalesced in its Adj-RIB-Out rather than piling up in socket buffers.
import type { Socket } from "node:net";
import {
  type AdjRibOut,
  type OutboundBatch,
  type PackedBatch,
  unpack,
} from "../rib/adj-rib-out.js";
import { batchToUpdates, packV4 } from "../rib/pack.js";
import type { CodecContext } from "../wire/context.js";
import { encodeUpdates } from "../wire/messages/pack.js";
import type { Prefix } from "../wire/prefix.js";

/** Routes taken from the Adj-RIB-Out per write. */
const CHUNK = 4096;

/** An IPv4 prefix: asks the session whether it carries IPv4 unicast. */
const V4: Prefix = { afi: 1, length: 0, bytes: new Uint8Array(0) };

/** What an out-queue needs from its session. */
export interface OutQueueHost {
  /** The socket is still ours (not closed). */
  readonly open: () => boolean;
  /** Whether the session negotiated the family of a prefix (others are not sent). */
  readonly carries: (p: Prefix) => boolean;
  /** Called after UPDATEs were written (counters, FSM `updateSent`, send hold timer); `ok`: what write() returned. */
  readonly sent: (messages: number, ok: boolean) => void;
  /** Runs a callback in the session's containment guard. */
  readonly guard: (where: string, fn: () => void) => void;
  /**
   * The next piece of the initial export, routes already recorded as sent
   * (`Rib.feedExport`); undefined once it is complete. Absent: none.
   */
  readonly feed?: (max: number) => PackedBatch | undefined;
  /** Whether the initial export is still being fed. */
  readonly feeding?: () => boolean;
}

/** Drains one peer's Adj-RIB-Out into its socket, batched and with back-pressure. */
export class OutQueue {
  #timer: NodeJS.Timeout | undefined;
  #blocked = false;
  #closed = false;
  /** Callbacks to run once everything pending has been written (End-of-RIB, EoRR). */
  #whenIdle: (() => void)[] = [];

  constructor(
    private readonly out: AdjRibOut,
    private readonly socket: Socket,
    private readonly ctx: CodecContext,
    private readonly delayMs: number,
    private readonly host: OutQueueHost,
  ) {
    socket.on("drain", this.#onDrain);
  }

  #onDrain = (): void => {
    if (this.#closed || !this.#blocked) return;
    this.#blocked = false;
    this.host.guard("drain", () => this.flush());
  };

  /** Routes waiting in the Adj-RIB-Out. */
  get pending(): number {
    return this.out.pendingCount;
  }

  /** The socket did not take the last write; waiting for 'drain'. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Changes are waiting: send them after the coalescing delay. */
  schedule(): void {
    if (this.#closed || this.#timer || this.#blocked) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.host.guard("send", () => this.flush());
    }, this.delayMs);
    this.#timer.unref?.();
  }

  /** Runs `fn` once the queue is empty and the initial export sent (now, if so). */
  whenIdle(fn: () => void): void {
    this.#whenIdle.push(fn);
    if (this.out.pendingCount === 0 && !this.#feeding() && !this.#blocked) this.#idle();
  }

  #feeding(): boolean {
    return this.host.feeding?.() ?? false;
  }

  /** Writes pending changes until none are left or the socket pushes back. */
  flush(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#blocked) {
      let b: PackedBatch | undefined;
      if (this.out.pendingCount > 0) {
        if (!this.host.open()) return;
        b = this.out.takePacked(CHUNK);
      } else if (this.#feeding()) {
        if (!this.host.open()) return;
        b = this.host.feed?.(CHUNK);
      }
      if (!b) break;
      const parts: Uint8Array[] = [];
      let messages = 0;
      let rest = b.rest;
      if ((b.announce4.length > 0 || b.withdraw4.length > 0) && this.host.carries(V4)) {
        // IPv4 routes straight from the table's numbers into messages.
        const v4 = packV4(b.announce4, b.withdraw4, this.ctx);
        if (v4) {
          parts.push(v4.bytes);
          messages += v4.messages;
        } else rest = unpack(b);
      }
      for (const u of batchToUpdates(this.#carried(rest))) {
        const m = encodeUpdates(u, this.ctx);
        parts.push(...m);
        messages += m.length;
      }
      if (parts.length === 0) continue;
      const ok = this.socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      this.host.sent(messages, ok);
      if (!ok) this.#blocked = true;
    }
    if (this.out.pendingCount === 0 && !this.#feeding()) this.#idle();
  }

  #idle(): void {
    const list = this.#whenIdle;
    this.#whenIdle = [];
    for (const fn of list) fn();
  }

  /** The batch without prefixes of families the session did not negotiate. */
  #carried(b: OutboundBatch): OutboundBatch {
    const keep = this.host.carries;
    const all = b.withdraw.every(keep) && b.announce.every((g) => g.prefixes.every((p) => keep(p)));
    if (all) return b;
    return {
      withdraw: b.withdraw.filter(keep),
      announce: b.announce
        .map((g) => ({ attrs: g.attrs, prefixes: g.prefixes.filter(keep) }))
        .filter((g) => g.prefixes.length > 0),
    };
  }

  /** The session ended: stop, forget the callbacks. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#whenIdle = [];
    this.socket.off("drain", this.#onDrain);
  }
}
