// The RFC 9687 send hold timer of one connection: armed when the socket does
// not take a write (the peer is not reading), disarmed by 'drain'. When it
// runs out it checks for progress first — the peer read part of what was
// queued — and only then declares the peer stuck (the session sends
// NOTIFICATION 8, Send Hold Timer Expired, and closes).
import type { Socket } from "node:net";

/** RFC 9687 §3: max(8 minutes, 2 × the negotiated hold time) unless configured; 0 is off. */
export function sendHoldSeconds(configured: number | undefined, holdTime: number): number {
  return configured ?? Math.max(480, 2 * holdTime);
}

/** One connection's send hold timer. */
export class SendHoldTimer {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    /** Runs a timer callback in the session's containment guard. */
    private readonly guard: (fn: () => void) => void,
    /** The peer read nothing for the whole send hold time. */
    private readonly expired: () => void,
  ) {}

  /** After a write: `ok` is what socket.write() returned. */
  wrote(ok: boolean, seconds: number): void {
    if (ok || this.#timer || seconds <= 0 || this.socket.destroyed) return;
    this.#arm(this.socket.writableLength, seconds);
    this.socket.once("drain", () => this.stop());
  }

  #arm(queued: number, seconds: number): void {
    this.#timer = setTimeout(
      () =>
        this.guard(() => {
          this.#timer = undefined;
          const now = this.socket.writableLength;
          if (now === 0) return; // everything left: 'drain' is on its way
          if (now < queued) this.#arm(now, seconds);
          else this.expired();
        }),
      seconds * 1000,
    );
    this.#timer.unref?.();
  }

  /** Disarms it (drained, or the connection closed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
