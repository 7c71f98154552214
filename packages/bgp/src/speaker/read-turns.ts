// Read fairness between sessions. libuv reads a readable socket up to 32
// times in one go while each read fills its 64 KiB buffer, so a peer sending
// its full table could have up to 2 MiB of UPDATEs (several hundred thousand
// routes, tens of milliseconds) handled before the event loop looks at
// anything else: other peers' OPENs and KEEPALIVEs, accepts, timers, the
// control socket. So a session handles a share of messages (TURN_OCTETS) at
// a time: when that is spent, its socket stops reading and the rest of what
// it read waits in the framer. Sessions held so wait in one queue and are
// served in turn, a share each, after the event loop's I/O callbacks
// (`setImmediate`), until everything they read is handled; a session whose
// framer is empty reads again, and the serving stops for this turn once
// SERVE_OCTETS are handled. One turn of the event loop therefore handles at
// most one read (and what Node buffered meanwhile) per session, shared out
// a share at a time between the sessions, and about SERVE_OCTETS of held
// sessions' messages in all. BIRD bounds the same thing
// (at most four socket read handlers per poll iteration, taken in turn:
// MAX_RX_STEPS in sysdep/unix/io.c; a BGP read is one 4 KiB buffer), FRR
// too (`read-quanta`: packets read from a peer's socket per I/O cycle).
//
// Why one queue served until empty, and not each session's rest on the next
// turn (a read of 64 KiB then took four turns, the socket held all along):
// ten feeders × 100,000 prefixes took 3–11 % less wall time against BIRD
// with the queue. Serving only 64 KiB a turn in all brought the sessions
// up as early as BIRD does but cost 7 % of wall time; 256 KiB costs nothing
// measurable and keeps a turn bounded however many peers send at once.
// Measured in docs/benchmarks/bgp-ingest.md, tables 22 and 23.
import type { Socket } from "node:net";

/**
 * Octets of messages a session handles per turn (its share) before the
 * other held sessions have theirs: four full-size (4,096-octet) UPDATEs,
 * about a millisecond of work once the receive path is optimised.
 */
export const TURN_OCTETS = 16 * 1024;

/**
 * Octets of messages the held sessions together are served per turn of the
 * event loop (and the share that crosses it): four reads' worth, about
 * 50,000 IPv4 prefixes in full-size UPDATEs.
 */
export const SERVE_OCTETS = 256 * 1024;

/**
 * The sessions whose share is spent, served in turn (a share each, FIFO)
 * after the event loop's I/O callbacks until none is left or SERVE_OCTETS
 * are handled: one queue for the process, as there is one event loop.
 */
class HeldSessions {
  readonly #queue: (() => void)[] = [];
  #scheduled = false;
  /** Octets handled since this turn's serving began. */
  served = 0;

  /** `next` runs in turn once this turn's I/O callbacks are done. */
  add(next: () => void): void {
    this.#queue.push(next);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#serve);
    }
  }

  readonly #serve = (): void => {
    // A session whose share is spent again joins the end of the queue; the
    // serving stays scheduled meanwhile, so it adds no serving of its own.
    // (`served` also counts what the I/O callbacks handled: reset here.)
    const q = this.#queue;
    this.served = 0;
    try {
      while (q.length > 0 && this.served < SERVE_OCTETS) q.shift()!();
    } finally {
      // (sessions left: their turn comes on the next turn of the event loop)
      if (q.length > 0) setImmediate(this.#serve);
      else this.#scheduled = false;
    }
  };
}

const held = new HeldSessions();

/** One connection's turns: its share of the current turn, and whether its reads are held. */
export class ReadTurns {
  /** The socket is paused until the framer is empty. */
  #held = false;
  /** Data Node buffered while the socket was held is being handed over, in the turn that released it. */
  #carry = false;
  #spent = 0;

  constructor(private readonly socket: Socket) {}

  /** A read arrived: a new share — unless it was buffered while held (it counts in the releasing turn). */
  read(): void {
    if (!this.#carry) this.#spent = 0;
  }

  /** The session's next turn in the queue began for the messages left: a new share. */
  turn(): void {
    this.#spent = 0;
  }

  /** Counts a message of `octets` handled; true when the turn's share is spent. */
  spend(octets: number): boolean {
    this.#spent += octets;
    held.served += octets;
    return this.#spent >= TURN_OCTETS;
  }

  /** Ends the turn with messages left: no reads until `next` has run in the queue of held sessions. */
  endTurn(next: () => void): void {
    if (!this.#held) {
      this.#held = true;
      this.socket.pause();
    }
    held.add(next);
  }

  /**
   * Everything read is handled: the socket reads again if it was held. What
   * Node buffered meanwhile is handed over at once (its `resume` runs on
   * the next tick, before ours), within this turn's share.
   */
  drained(): void {
    if (!this.#held) return;
    this.#held = false;
    if (this.socket.destroyed) return;
    this.#carry = true;
    this.socket.resume();
    process.nextTick(() => {
      this.#carry = false;
    });
  }
}
