// Read fairness between sessions. libuv reads a readable socket up to 32
// times in one go while each read fills its 64 KiB buffer, so a peer sending
// its full table could have up to 2 MiB of UPDATEs (several hundred thousand
// routes, tens of milliseconds) handled before the event loop looks at
// anything else: other peers' OPENs and KEEPALIVEs, accepts, timers, the
// control socket. So a session handles at most a turn's worth of messages
// (TURN_OCTETS) at a time: when that is spent, its socket stops reading and
// the rest of what it read waits in the framer for the event loop's next
// turn (`setImmediate`); once the framer is empty the socket reads again.
// Every session with data is then served about as much per turn. BIRD
// bounds the same thing (at most four socket read handlers per poll
// iteration, taken in turn: MAX_RX_STEPS in sysdep/unix/io.c; a BGP read is
// one 4 KiB buffer), FRR too (`read-quanta`: packets read from a peer's
// socket per I/O cycle).
//
// Measured in docs/benchmarks/bgp-ingest.md, table 22.
import type { Socket } from "node:net";

/**
 * Octets of messages a session handles per turn of the event loop: four
 * full-size (4,096-octet) UPDATEs, a few milliseconds of work.
 */
export const TURN_OCTETS = 16 * 1024;

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

  /** The next turn began for the messages left: a new share. */
  turn(): void {
    this.#spent = 0;
  }

  /** Counts a message of `octets` handled; true when the turn's share is spent. */
  spend(octets: number): boolean {
    this.#spent += octets;
    return this.#spent >= TURN_OCTETS;
  }

  /** Ends the turn with messages left: no reads until `next` has run on the next turn. */
  endTurn(next: () => void): void {
    if (!this.#held) {
      this.#held = true;
      this.socket.pause();
    }
    setImmediate(next);
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
