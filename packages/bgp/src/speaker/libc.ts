// The few socket calls Node lacks, through koffi: sockets made with libc so
// that TCP-MD5 (RFC 2385), TTL/GTSM (RFC 5082) and the source address are set
// before connect, and so that a socket can be made inside another network
// namespace (setns around socket()). Node then takes the fd over
// (`new net.Socket({fd})`, `server.listen({fd})`).
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { Address4, Address6 } from "ip-address";
import koffi from "koffi";

/** A socket call failed; `errno` is the C errno. */
export class SyscallError extends Error {
  override readonly name = "SyscallError";
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: errno ${errno}`);
  }
}

// Which C library file koffi loads: the one this process runs on, glibc or
// musl (Alpine: ld-musl-<arch>.so.1). /proc/self/maps names it; without /proc
// the usual install paths for the CPU are tried, glibc's first (a glibc host
// with the musl package installed must not get musl). A copy of
// @tortie/netlink's socket/libc-path.ts (bgp does not depend on netlink);
// both packages' tests run the same cases.

/** No usable C library: one line naming platform, arch and the files tried. */
export class LibcUnavailableError extends Error {
  override readonly name = "LibcUnavailableError";
  constructor(
    readonly platform: string,
    readonly arch: string,
    readonly tried: readonly string[],
    readonly reason?: string,
  ) {
    super(
      reason
        ? `cannot load the C library on ${platform}/${arch}: ${tried.at(-1)}: ${reason}`
        : platform !== "linux"
          ? `cannot load the C library on ${platform}/${arch}: only Linux (glibc or musl) is supported`
          : `cannot load the C library on ${platform}/${arch}: no glibc or musl found (tried ${tried.join(", ")})`,
    );
  }
}

/** What {@link locateLibc} looks at. */
export interface LibcProbe {
  readonly platform: string;
  readonly arch: string;
  readonly exists: (path: string) => boolean;
  /** /proc/self/maps, if readable. */
  readonly maps?: string;
}

const LIBC_ARCH: Readonly<Record<string, readonly [gnu: readonly string[], musl: string]>> = {
  x64: [["x86_64-linux-gnu"], "x86_64"],
  arm64: [["aarch64-linux-gnu"], "aarch64"],
  arm: [["arm-linux-gnueabihf", "arm-linux-gnueabi"], "armhf"],
  ia32: [["i386-linux-gnu"], "x86"],
  riscv64: [["riscv64-linux-gnu"], "riscv64"],
  ppc64: [["powerpc64le-linux-gnu"], "ppc64le"],
  s390x: [["s390x-linux-gnu"], "s390x"],
  loong64: [["loongarch64-linux-gnu"], "loongarch64"],
};

/** The files looked for on `arch`, glibc's first. */
export function libcCandidates(arch: string): string[] {
  const a = LIBC_ARCH[arch];
  return [
    ...(a?.[0] ?? []).flatMap((t) => [`/lib/${t}/libc.so.6`, `/usr/lib/${t}/libc.so.6`]),
    "/lib64/libc.so.6",
    "/usr/lib64/libc.so.6",
    "/lib/libc.so.6",
    "/usr/lib/libc.so.6",
    ...(a
      ? [
          `/lib/ld-musl-${a[1]}.so.1`,
          `/lib/libc.musl-${a[1]}.so.1`,
          `/usr/lib/libc.musl-${a[1]}.so.1`,
        ]
      : []),
  ];
}

const LIBC_FILE = /^(libc\.so\.6|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/;

/** The C library file to load, or {@link LibcUnavailableError}. Pure. */
export function locateLibc(probe: LibcProbe): string {
  if (probe.platform !== "linux") throw new LibcUnavailableError(probe.platform, probe.arch, []);
  const tried: string[] = [];
  const mapped = probe.maps
    ?.split("\n")
    .map((line) => line.split(/\s+/)[5] ?? "")
    .find((p) => p.startsWith("/") && LIBC_FILE.test(p.slice(p.lastIndexOf("/") + 1)));
  for (const c of [...(mapped ? [mapped] : []), ...libcCandidates(probe.arch)]) {
    if (tried.includes(c)) continue;
    tried.push(c);
    if (probe.exists(c)) return c;
  }
  throw new LibcUnavailableError(probe.platform, probe.arch, tried);
}

function systemProbe(): LibcProbe {
  let maps: string | undefined;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    // no /proc: the install paths are tried
  }
  return {
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
    ...(maps !== undefined ? { maps } : {}),
  };
}

/** Opens the C library with `load` (koffi.load); {@link LibcUnavailableError} when it cannot. */
export function loadLibc<T>(load: (path: string) => T, probe: LibcProbe = systemProbe()): T {
  const path = locateLibc(probe);
  try {
    return load(path);
  } catch (e) {
    const reason = String((e as Error)?.message ?? e).split("\n")[0];
    throw new LibcUnavailableError(probe.platform, probe.arch, [path], reason);
  }
}

interface Libc {
  socket(domain: number, type: number, proto: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, addr: null, len: null, flags: number): number;
  setsockopt(fd: number, level: number, name: number, val: Buffer, len: number): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  gettid(): number;
}

let lib: Libc | undefined;
function libc(): Libc {
  if (lib) return lib;
  const l = loadLibc((p) => koffi.load(p));
  lib = {
    socket: l.func("int socket(int, int, int)"),
    bind: l.func("int bind(int, const void *, uint32_t)"),
    listen: l.func("int listen(int, int)"),
    accept4: l.func("int accept4(int, void *, void *, int)"),
    setsockopt: l.func("int setsockopt(int, int, int, const void *, uint32_t)"),
    close: l.func("int close(int)"),
    setns: l.func("int setns(int, int)"),
    gettid: l.func("int gettid()"),
  } as Libc;
  return lib;
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const EINTR = 4;
const EAGAIN = 11;
const ECONNABORTED = 103;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_V6ONLY = 26;
const IPV6_MINHOPCOUNT = 73;
const TCP_MD5SIG = 14;
const TCP_MD5SIG_EXT = 32;
const TCP_MD5SIG_FLAG_PREFIX = 1;
const CLONE_NEWNET = 0x40000000;

function check(call: string, rc: number): number {
  if (rc < 0) throw new SyscallError(call, koffi.errno());
  return rc;
}

/** struct sockaddr_in / sockaddr_in6 for `ip`:`port`. */
export function sockaddr(ip: string, port: number): Buffer {
  if (isIPv6(ip)) {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(AF_INET6, 0);
    b.writeUInt16BE(port, 2);
    ipv6Bytes(ip).copy(b, 8);
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(new Address4(ip).toArray()).copy(b, 4);
  return b;
}

function ipv6Bytes(ip: string): Buffer {
  const groups = new Address6(ip).parsedAddress;
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/** Runs `fn` with this thread in the network namespace at `nsPath` (if given). */
export function withNetns<T>(nsPath: string | undefined, fn: () => T): T {
  if (!nsPath) return fn();
  const c = libc();
  const self = openSync(`/proc/self/task/${c.gettid()}/ns/net`, "r");
  const target = openSync(nsPath, "r");
  try {
    check("setns", c.setns(target, CLONE_NEWNET));
    try {
      return fn();
    } finally {
      check("setns", c.setns(self, CLONE_NEWNET));
    }
  } finally {
    closeSync(target);
    closeSync(self);
  }
}

/** Options that must be set on a TCP socket before it connects or listens. */
export interface SocketOptions {
  /** Local address to bind (and port; default 0 = any). */
  readonly localAddress?: string;
  readonly localPort?: number;
  /** Outgoing TTL / hop limit (multihop; 255 for GTSM). */
  readonly ttl?: number;
  /** Minimum incoming TTL (GTSM, RFC 5082: 255 − hops + 1). */
  readonly minTtl?: number;
  /** Network namespace path to make the socket in. */
  readonly netns?: string;
  /** Listening sockets: allow rebinding the port. */
  readonly reuseAddr?: boolean;
}

/** Makes a TCP socket for `family` with the options set; returns its fd. */
export function tcpSocket(family: 4 | 6, opts: SocketOptions = {}): number {
  const c = libc();
  const fd = withNetns(opts.netns, () =>
    check("socket", c.socket(family === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
  );
  try {
    if (opts.reuseAddr)
      check("setsockopt(SO_REUSEADDR)", c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, int(1), 4));
    // Dual-stack only for the IPv6 wildcard listener ("::"); every other socket is one family.
    if (family === 6) {
      const v6only = opts.localAddress === "::" ? 0 : 1;
      check("setsockopt(IPV6_V6ONLY)", c.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int(v6only), 4));
    }
    if (opts.ttl !== undefined) {
      const [lvl, name] = family === 6 ? [IPPROTO_IPV6, IPV6_UNICAST_HOPS] : [IPPROTO_IP, IP_TTL];
      check("setsockopt(TTL)", c.setsockopt(fd, lvl, name, int(opts.ttl), 4));
      // The dual-stack listener answers IPv4 peers at the IPv4 level.
      if (family === 6 && opts.localAddress === "::")
        check("setsockopt(IP_TTL)", c.setsockopt(fd, IPPROTO_IP, IP_TTL, int(opts.ttl), 4));
    }
    if (opts.minTtl !== undefined) {
      const [lvl, name] = family === 6 ? [IPPROTO_IPV6, IPV6_MINHOPCOUNT] : [IPPROTO_IP, IP_MINTTL];
      check("setsockopt(MINTTL)", c.setsockopt(fd, lvl, name, int(opts.minTtl), 4));
    }
    if (opts.localAddress !== undefined || opts.localPort !== undefined) {
      const addr = sockaddr(
        opts.localAddress ?? (family === 6 ? "::" : "0.0.0.0"),
        opts.localPort ?? 0,
      );
      check("bind", c.bind(fd, addr, addr.length));
    }
    return fd;
  } catch (e) {
    c.close(fd);
    throw e;
  }
}

/** Sets the minimum incoming TTL / hop limit on an existing socket (GTSM, RFC 5082). */
export function setMinTtl(fd: number, family: 4 | 6, minTtl: number): void {
  const c = libc();
  if (family === 6) {
    const rc = c.setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, int(minTtl), 4);
    check("setsockopt(IPV6_MINHOPCOUNT)", rc);
  } else {
    // Also right for an IPv4 peer on a dual-stack IPv6 socket (checked at the IPv4 level).
    check("setsockopt(IP_MINTTL)", c.setsockopt(fd, IPPROTO_IP, IP_MINTTL, int(minTtl), 4));
  }
}

/**
 * Sets the outgoing TTL / hop limit on an existing socket: an accepted
 * connection gets its peer's (255 for GTSM, RFC 5082 §3; the multihop count;
 * 1 for a direct eBGP peer) instead of the listener's.
 */
export function setTtl(fd: number, family: 4 | 6, ttl: number): void {
  const c = libc();
  if (family === 6)
    check(
      "setsockopt(IPV6_UNICAST_HOPS)",
      c.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int(ttl), 4),
    );
  // Also right for an IPv4 peer on a dual-stack IPv6 socket (sent at the IPv4 level).
  else check("setsockopt(IP_TTL)", c.setsockopt(fd, IPPROTO_IP, IP_TTL, int(ttl), 4));
}

/** listen(2) on a bound socket. */
export function listenFd(fd: number, backlog = 128): void {
  check("listen", libc().listen(fd, backlog));
}

/**
 * accept(2) of the next connection queued on a non-blocking listening socket
 * (libuv makes the fds it takes over non-blocking): its fd, non-blocking and
 * close-on-exec, or `undefined` when none is queued. A connection reset
 * while it waited in the queue (ECONNABORTED) is skipped. Other failures
 * (EMFILE, ENFILE, ENOBUFS…) throw a {@link SyscallError}.
 */
export function acceptFd(fd: number): number | undefined {
  const c = libc();
  for (;;) {
    const rc = c.accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (rc >= 0) return rc;
    const errno = koffi.errno();
    if (errno === EAGAIN) return undefined;
    if (errno !== ECONNABORTED && errno !== EINTR) throw new SyscallError("accept4", errno);
  }
}

/** Closes an fd that Node has not taken over. */
export function closeFd(fd: number): void {
  libc().close(fd);
}

/**
 * Sets (or, with an empty key, removes) the TCP-MD5 key for segments from/to
 * `peer` (RFC 2385), on a listening or a connecting socket. With `prefixLen`
 * the key covers a whole prefix (Linux TCP_MD5SIG_EXT), for dynamic neighbors.
 */
export function setMd5Key(fd: number, peer: string, key: string, prefixLen?: number): void {
  const keyBytes = Buffer.from(key, "utf8");
  if (keyBytes.length > 80) throw new RangeError("TCP-MD5 key longer than 80 bytes");
  // struct tcp_md5sig { sockaddr_storage addr (128); u8 flags; u8 prefixlen; u16 keylen; int ifindex; u8 key[80]; }
  const s = Buffer.alloc(216);
  sockaddr(peer, 0).copy(s, 0);
  if (prefixLen !== undefined) {
    s[128] = TCP_MD5SIG_FLAG_PREFIX;
    s[129] = prefixLen;
  }
  s.writeUInt16LE(keyBytes.length, 130);
  keyBytes.copy(s, 136);
  const name = prefixLen !== undefined ? TCP_MD5SIG_EXT : TCP_MD5SIG;
  check("setsockopt(TCP_MD5SIG)", libc().setsockopt(fd, IPPROTO_TCP, name, s, s.length));
}
