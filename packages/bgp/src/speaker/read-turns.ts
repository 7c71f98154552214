// Read fairness between sessions. libuv reads a readable socket up to 32
// times in one go while each read fills its 64 KiB buffer, so a peer sending
// its full table could have up to 2 MiB of UPDATEs (several hundred thousand
// routes, tens of milliseconds) handled before the event loop looks at
// anything else: other peers' OPENs and KEEPALIVEs, accepts, timers, the
// control socket. After each large read a session therefore gives up its
// turn: its socket is paused and resumed on the next turn of the loop
// (`setImmediate`), so every session with data is read about as much per
// turn. BIRD bounds the same thing (at most four socket read handlers per
// poll iteration, taken in turn: MAX_RX_STEPS in sysdep/unix/io.c), FRR too
// (`read-quanta`: packets read from a peer's socket per I/O cycle).
//
// Measured (docs/benchmarks/bgp-ingest.md, table 22), ten BIRD feeders'
// tables into the daemon, eight runs each way: the last session was up
// 310 ms after the first instead of 350 ms, and the ingest took 0.94× BIRD's
// wall time instead of 1.07×, at the same CPU.
import type { Socket } from "node:net";

/**
 * A read at least this long may have left more data in the kernel: the
 * session lets the others read before it reads again. Smaller reads (a
 * KEEPALIVE, the tail of a table) drained the socket already; pausing after
 * them would only cost two system calls.
 */
export const READ_TURN_BYTES = 16 * 1024;

/**
 * Called after a read of `bytes` octets has been handled: if it was a large
 * one, `socket` reads nothing more until the event loop's next turn.
 */
export function endReadTurn(socket: Socket, bytes: number): void {
  if (bytes < READ_TURN_BYTES || socket.destroyed) return;
  socket.pause();
  setImmediate(() => {
    if (!socket.destroyed) socket.resume();
  });
}
