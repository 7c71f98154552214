// The few libc calls Node does not expose, bound through koffi: AF_NETLINK
// sockets (socket, bind, getsockname, setsockopt, sendto, recv, close),
// poll(2) (with a zero timeout: never blocking), and setns(2),
// unshare(2), mount(2), umount2(2) for network namespaces.
// Every pointer argument is a Buffer passed without copying. The library is
// the one this process runs on (glibc or musl, see libc-path.ts); when there
// is none, LibcUnavailableError says so in one line instead of koffi's own
// exception.
import { existsSync, readFileSync } from "node:fs";
import koffi from "koffi";
import { NetlinkSocketError } from "../errors.js";
import { type LibcProbe, LibcUnavailableError, locateLibc } from "./libc-path.js";

/** The bound functions. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  setsockopt(fd: number, level: number, name: number, val: Buffer, len: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: null, alen: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  write(fd: number, buf: Buffer, len: number): number;
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
  mount(src: string, target: string, fstype: string, flags: number, data: null): number;
  umount2(target: string, flags: number): number;
  /** poll(2); callers pass a zero timeout so it never blocks. */
  poll(fds: Buffer, n: number, timeoutMs: number): number;
  errno(): number;
}

let bound: Libc | undefined;

/** This process's platform, arch, file system and /proc/self/maps. */
export function systemLibcProbe(): LibcProbe {
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

/**
 * Opens the C library with `load` (koffi.load): {@link LibcUnavailableError}
 * when none is found or the file does not load.
 */
export function loadLibc<T>(
  load: (path: string) => T = koffi.load as unknown as (path: string) => T,
  probe: LibcProbe = systemLibcProbe(),
): T {
  const path = locateLibc(probe);
  try {
    return load(path);
  } catch (e) {
    const reason = String((e as Error)?.message ?? e).split("\n")[0];
    throw new LibcUnavailableError(probe.platform, probe.arch, [path], reason);
  }
}

/** Loads libc once and binds the calls. */
export function libc(): Libc {
  if (bound) return bound;
  const lib = loadLibc((p) => koffi.load(p));
  const f = <T>(sig: string) => lib.func(sig) as unknown as T;
  bound = {
    socket: f("int socket(int, int, int)"),
    bind: f("int bind(int, const void *, uint32_t)"),
    getsockname: f("int getsockname(int, void *, void *)"),
    setsockopt: f("int setsockopt(int, int, int, const void *, uint32_t)"),
    sendto: f("long sendto(int, const void *, size_t, int, const void *, uint32_t)"),
    recv: f("long recv(int, void *, size_t, int)"),
    close: f("int close(int)"),
    write: f("long write(int, const void *, size_t)"),
    setns: f("int setns(int, int)"),
    unshare: f("int unshare(int)"),
    mount: f("int mount(const char *, const char *, const char *, unsigned long, const void *)"),
    umount2: f("int umount2(const char *, int)"),
    poll: f("int poll(void *, unsigned long, int)"),
    errno: () => koffi.errno() as number,
  };
  return bound;
}

/** Throws {@link NetlinkSocketError} with the current errno when `r` is negative. */
export function check(r: number, syscall: string, detail?: string): number {
  if (r < 0) throw new NetlinkSocketError(syscall, libc().errno(), detail);
  return r;
}
