// One AF_NETLINK socket (NETLINK_ROUTE), made inside a network namespace and
// bound to it for life. Sends are synchronous: rtnetlink handles a request
// inside sendto(2), so the answer is queued before sendto returns. Receives
// never block the event loop: recv(2) with MSG_DONTWAIT, and when nothing is
// queued, short polls — poll(2) with a zero timeout, then a timer that backs
// off from 1 ms to `maxPollMs`. No thread is ever parked on the socket: koffi's
// async calls neither keep Node's event loop alive nor scale to many idle
// sockets (its small worker pool is exhausted by a few blocking waits).
//
// struct sockaddr_nl (12 bytes): u16 nl_family = AF_NETLINK, u16 pad,
// u32 nl_pid (port id; 0 = let the kernel pick), u32 nl_groups (legacy mask).
import { setTimeout as sleep } from "node:timers/promises";
import { NetlinkSocketError } from "../errors.js";
import { check, libc } from "./libc.js";
import { inNetns, type Netns } from "./netns.js";

export { loadLibc } from "./libc.js";
// the C library lookup is public: its error is what a host without glibc or musl sees
export {
  type LibcProbe,
  LibcUnavailableError,
  libcCandidates,
  locateLibc,
  mappedLibc,
} from "./libc-path.js";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const NETLINK_GET_STRICT_CHK = 12;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const EAGAIN = 11;
const EINTR = 4;
const POLLIN = 1;

/** Options of {@link NetlinkSocket.open}. */
export interface SocketOptions {
  /** Namespace to open the socket in (default: the current one). */
  readonly netns?: Netns;
  /** rtnetlink multicast groups (RTNLGRP_* numbers) to join. */
  readonly groups?: readonly number[];
  /** Receive buffer in bytes (default 8 MiB; SO_RCVBUFFORCE when root). */
  readonly rcvbuf?: number;
  /** Send buffer in bytes (default 4 MiB). */
  readonly sndbuf?: number;
}

function intBuf(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}

/** A raw AF_NETLINK socket. Use {@link Connection} for requests and dumps. */
export class NetlinkSocket {
  /** The netlink port id the kernel assigned. */
  readonly portId: number;
  private readonly rx = Buffer.alloc(256 * 1024);
  private readonly pollfd = Buffer.alloc(8);
  private closed = false;

  private constructor(
    /** The file descriptor. */
    readonly fd: number,
  ) {
    const c = libc();
    const sa = Buffer.alloc(12);
    const len = intBuf(12);
    check(c.getsockname(fd, sa, len), "getsockname");
    this.portId = sa.readUInt32LE(4);
    this.pollfd.writeInt32LE(fd, 0);
    this.pollfd.writeInt16LE(POLLIN, 4);
  }

  /** Opens a socket inside `opts.netns`, with extended ACKs and strict dump checking. */
  static open(opts: SocketOptions = {}): NetlinkSocket {
    const c = libc();
    const fd = inNetns(opts.netns ?? { kind: "current" }, () =>
      check(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "socket"),
    );
    try {
      const setopt = (level: number, name: number, v: number) =>
        c.setsockopt(fd, level, name, intBuf(v), 4);
      const rcv = opts.rcvbuf ?? 8 * 1024 * 1024;
      const snd = opts.sndbuf ?? 4 * 1024 * 1024;
      if (setopt(SOL_SOCKET, SO_RCVBUFFORCE, rcv) < 0) setopt(SOL_SOCKET, SO_RCVBUF, rcv);
      if (setopt(SOL_SOCKET, SO_SNDBUFFORCE, snd) < 0) setopt(SOL_SOCKET, SO_SNDBUF, snd);
      setopt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      setopt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      setopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(AF_NETLINK, 0);
      check(c.bind(fd, sa, 12), "bind");
      for (const g of opts.groups ?? []) {
        check(c.setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, intBuf(g), 4), "setsockopt");
      }
      return new NetlinkSocket(fd);
    } catch (e) {
      c.close(fd);
      throw e;
    }
  }

  /** Sends one datagram (one or many messages). The kernel handles it before this returns. */
  send(bytes: Uint8Array): void {
    if (this.closed) throw new NetlinkSocketError("sendto", 9, "socket closed");
    const c = libc();
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (;;) {
      const n = c.sendto(this.fd, b, b.length, 0, null, 0);
      if (n >= 0) return;
      const e = c.errno();
      if (e !== EINTR) throw new NetlinkSocketError("sendto", e);
    }
  }

  /**
   * Receives one datagram without blocking. Returns a view into an internal
   * buffer, valid until the next call, or undefined when nothing is queued.
   * Throws ENOBUFS when the kernel dropped messages (receive buffer overrun).
   */
  recv(): Uint8Array | undefined {
    if (this.closed) throw new NetlinkSocketError("recv", 9, "socket closed");
    const c = libc();
    for (;;) {
      const n = c.recv(this.fd, this.rx, this.rx.length, MSG_DONTWAIT | MSG_TRUNC);
      if (n >= 0) {
        if (n > this.rx.length) throw new NetlinkSocketError("recv", 90, `datagram of ${n} bytes`);
        return new Uint8Array(this.rx.buffer, this.rx.byteOffset, n);
      }
      const e = c.errno();
      if (e === EAGAIN) return undefined;
      if (e !== EINTR) throw new NetlinkSocketError("recv", e);
    }
  }

  /** True when a datagram is queued now (poll(2) with a zero timeout). */
  pending(): boolean {
    if (this.closed) return false;
    const fds = this.pollfd;
    fds.writeInt16LE(0, 6);
    return libc().poll(fds, 1, 0) > 0 && (fds.readInt16LE(6) & POLLIN) !== 0;
  }

  /**
   * Resolves true when a datagram is queued, false when `timeoutMs` passed
   * (negative: never) or the socket was closed. Waits on timers, backing off
   * from 1 ms to `maxPollMs` between checks; the timers keep the process alive.
   */
  async readable(timeoutMs = -1, maxPollMs = 20): Promise<boolean> {
    const start = performance.now();
    let step = 1;
    for (;;) {
      if (this.closed) return false;
      if (this.pending()) return true;
      const left = timeoutMs < 0 ? step : timeoutMs - (performance.now() - start);
      if (left <= 0) return false;
      await sleep(Math.min(step, left));
      step = Math.min(step * 2, maxPollMs);
    }
  }

  /** Closes the socket; a pending {@link NetlinkSocket.readable} returns false. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc().close(this.fd);
  }

  /** True after {@link NetlinkSocket.close}. */
  get isClosed(): boolean {
    return this.closed;
  }
}
