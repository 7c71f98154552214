// TCP for BGP sessions (RFC 4271 §8: port 179): listeners and outgoing
// connections whose sockets are made through libc so that the source
// address, TTL/GTSM and TCP-MD5 keys are in place before the first SYN, in
// any network namespace. Node takes the fds over for all I/O.
import { EventEmitter } from "node:events";
import { createServer, isIPv6, type Server, Socket } from "node:net";
import { acceptFd, closeFd, listenFd, type SocketOptions, setMd5Key, tcpSocket } from "./libc.js";

/** A TCP listener that can carry per-peer TCP-MD5 keys. */
export interface Listener {
  readonly server: Server;
  readonly address: string;
  readonly port: number;
  /** Sets the MD5 key for a peer (or a prefix of peers) on the listening socket. */
  setMd5(peer: string, key: string, prefixLen?: number): void;
  close(): Promise<void>;
}

export interface ListenOptions extends Omit<SocketOptions, "localAddress" | "localPort"> {
  readonly address: string;
  readonly port: number;
}

/**
 * Connections a listener accepts in one turn of the event loop, at most.
 *
 * libuv (1.46, Node 20) accepts one connection each time the listening
 * socket polls readable (`uv__server_io`), so connections queued together
 * are taken one per turn of the event loop. A speaker busy with full tables
 * turns its loop every few tens of milliseconds: ten peers connecting at
 * once after a restart waited up to 225 ms for their accept, and got their
 * OPEN that much later (docs/benchmarks/bgp-ingest.md, table 26). So after
 * libuv's accept the listener takes what else is queued itself, up to this
 * many in all — enough for every peer of a large router at once, and a
 * bound on what a flood of connections can do to one turn.
 */
export const ACCEPTS_PER_TURN = 64;

/**
 * Opens a listener; `onConnection` gets each accepted socket, `onError` any
 * error of the listening socket after it is up (e.g. accept failing with
 * EMFILE) — without a handler such an error would end the process.
 * Connections queued together are accepted in the same turn of the event
 * loop, up to {@link ACCEPTS_PER_TURN}.
 */
export async function listenTcp(
  opts: ListenOptions,
  onConnection: (s: Socket) => void,
  onError: (e: Error) => void = () => {},
): Promise<Listener> {
  const family = isIPv6(opts.address) ? 6 : 4;
  const fd = tcpSocket(family, {
    ...opts,
    localAddress: opts.address,
    localPort: opts.port,
    reuseAddr: true,
  });
  try {
    listenFd(fd);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  const server: Server = createServer({ noDelay: true }, (sock) => {
    onConnection(sock);
    acceptQueued(fd, ACCEPTS_PER_TURN - 1, () => server.listening, onConnection, onError);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd }, () => {
      server.off("error", reject);
      server.on("error", onError);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    server,
    address: opts.address,
    port,
    setMd5(peer, key, prefixLen) {
      setMd5Key(fd, peer, key, prefixLen);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Accepts up to `max` connections queued on the listening socket `fd`, each
 * handed to `onConnection` as a Node socket; stops when none is left or the
 * listener was closed meanwhile (`open()` false: its fd is gone). A failure
 * (accept's EMFILE…, or Node refusing the fd) goes to `onError`, never into
 * the server's callback; libuv's own accept on the next turn deals with a
 * full fd table as it would have.
 */
function acceptQueued(
  fd: number,
  max: number,
  open: () => boolean,
  onConnection: (s: Socket) => void,
  onError: (e: Error) => void,
): void {
  for (let i = 0; i < max && open(); i++) {
    let sock: Socket;
    try {
      const conn = acceptFd(fd);
      if (conn === undefined) return;
      try {
        sock = new Socket({ fd: conn, readable: true, writable: true });
      } catch (e) {
        closeFd(conn);
        throw e;
      }
    } catch (e) {
      onError(e as Error);
      return;
    }
    sock.setNoDelay(true); // (as the server sets on the sockets it accepts)
    onConnection(sock);
  }
}

export interface ConnectOptions extends SocketOptions {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** TCP-MD5 key for this peer. */
  readonly md5?: string;
}

/**
 * An outgoing connection that ended before the handshake completed without
 * an answer from the peer: no SYN-ACK and no RST (RFC 9293 §3.5) — the
 * kernel timed the SYNs out (ETIMEDOUT), or the attempt was abandoned (the
 * session's ConnectRetryTimer, RFC 4271 §8.2.2) after `waitedMs`. With
 * TCP-MD5 configured that is the sign of a key mismatch: a peer whose key
 * differs (or that has none) drops our SYN silently (RFC 2385 §2.0).
 */
export interface ConnectUnanswered {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress?: string;
  readonly netns?: string;
  /** A TCP-MD5 key was set on the attempt. */
  readonly md5: boolean;
  readonly waitedMs: number;
  /** "timeout": the kernel gave up (ETIMEDOUT); "abandoned": closed by us while waiting. */
  readonly how: "timeout" | "abandoned";
}

/** Attempts shorter than this that are closed by us are not reported (a peer removed, a collision). */
const UNANSWERED_MIN_MS = 1000;

/**
 * Diagnostics of the transport, for daemons and tools: `"no-syn-ack"` for
 * each outgoing attempt that got no answer ({@link ConnectUnanswered}).
 * Listening is optional; events name the remote address, so a listener can
 * tell its peers apart.
 */
export const transportDiagnostics = new EventEmitter<{ "no-syn-ack": [ConnectUnanswered] }>();

/** Starts a TCP connection; the socket emits "connect" or "error" as usual. */
export function connectTcp(opts: ConnectOptions): Socket {
  const family = isIPv6(opts.remoteAddress) ? 6 : 4;
  const fd = tcpSocket(family, opts);
  try {
    if (opts.md5) setMd5Key(fd, opts.remoteAddress, opts.md5);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  const sock = new Socket({ fd, readable: true, writable: true });
  sock.setNoDelay(true);
  watchHandshake(sock, opts);
  sock.connect(opts.remotePort, opts.remoteAddress);
  return sock;
}

/** Reports an attempt that closes unanswered (no listener of its own: errors stay the caller's). */
function watchHandshake(sock: Socket, opts: ConnectOptions): void {
  const started = performance.now();
  let connected = false;
  sock.once("connect", () => {
    connected = true;
  });
  sock.once("close", (hadError) => {
    if (connected || transportDiagnostics.listenerCount("no-syn-ack") === 0) return;
    const code = (sock.errored as NodeJS.ErrnoException | null)?.code;
    const waitedMs = Math.round(performance.now() - started);
    const how = code === "ETIMEDOUT" ? "timeout" : !hadError ? "abandoned" : undefined;
    if (!how || (how === "abandoned" && waitedMs < UNANSWERED_MIN_MS)) return;
    transportDiagnostics.emit("no-syn-ack", {
      remoteAddress: opts.remoteAddress,
      remotePort: opts.remotePort,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      ...(opts.netns ? { netns: opts.netns } : {}),
      md5: Boolean(opts.md5),
      waitedMs,
      how,
    });
  });
}
