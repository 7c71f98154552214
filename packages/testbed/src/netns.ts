// Entering a network namespace from this process, for as long as a
// synchronous function runs: setns(2) through koffi (Node has no binding).
//
// Sockets keep the namespace they were created in, so a test can open a
// listening server or start a TCP connect inside a host and then use it from
// the test's own namespace. Only the calling thread changes namespace, and it
// is always switched back, even when the function throws. The function must
// do its work synchronously: child_process spawn/spawnSync and sockets made
// through libc (koffi) do; Node's net.connect() and server.listen(port, host)
// create their socket a tick later, back outside the namespace.
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import koffi from "koffi";

// The C library koffi loads: the one this process runs on, glibc or musl
// (Alpine: ld-musl-<arch>.so.1), named by /proc/self/maps, else the usual
// install paths for the CPU, glibc's first. A copy of @tortie/netlink's
// socket/libc-path.ts (the testbed depends on no Tortie package); netlink's
// and bgp's tests check that this copy answers their cases the same way.

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
const LIBC_FILE = /^(libc\.so\.6|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/;

/**
 * The C library file to load (pure: `exists` and the /proc/self/maps text
 * are given), or {@link LibcUnavailableError}.
 */
export function locateLibc(probe: {
  readonly platform: string;
  readonly arch: string;
  readonly exists: (path: string) => boolean;
  readonly maps?: string;
}): string {
  if (probe.platform !== "linux") throw new LibcUnavailableError(probe.platform, probe.arch, []);
  const a = LIBC_ARCH[probe.arch];
  const mapped = probe.maps
    ?.split("\n")
    .map((line) => line.split(/\s+/)[5] ?? "")
    .find((p) => p.startsWith("/") && LIBC_FILE.test(p.slice(p.lastIndexOf("/") + 1)));
  const candidates = [
    ...(mapped ? [mapped] : []),
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
  const tried: string[] = [];
  for (const c of candidates) {
    if (tried.includes(c)) continue;
    tried.push(c);
    if (probe.exists(c)) return c;
  }
  throw new LibcUnavailableError(probe.platform, probe.arch, tried);
}

let libcLib: ReturnType<typeof koffi.load> | undefined;
function loadLibc(): ReturnType<typeof koffi.load> {
  if (libcLib) return libcLib;
  let maps: string | undefined;
  try {
    maps = readFileSync("/proc/self/maps", "utf8");
  } catch {
    // no /proc: the install paths are tried
  }
  const probe = {
    platform: process.platform,
    arch: process.arch,
    exists: existsSync,
    ...(maps !== undefined ? { maps } : {}),
  };
  const path = locateLibc(probe);
  try {
    libcLib = koffi.load(path);
  } catch (e) {
    const reason = String((e as Error)?.message ?? e).split("\n")[0];
    throw new LibcUnavailableError(probe.platform, probe.arch, [path], reason);
  }
  return libcLib;
}

const CLONE_NEWNET = 0x40000000;

let setnsFn: ((fd: number, nstype: number) => number) | undefined;
function setns(fd: number): void {
  if (!setnsFn) {
    const libc = loadLibc();
    setnsFn = libc.func("int setns(int fd, int nstype)") as (fd: number, nstype: number) => number;
  }
  if (setnsFn(fd, CLONE_NEWNET) !== 0) {
    throw new Error(`setns(${fd}) failed: errno ${koffi.errno()}`);
  }
}

/** Runs `fn` with this thread inside the network namespace at `nsPath`, then returns. */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const self = openSync(`/proc/self/task/${threadId()}/ns/net`, "r");
  const target = openSync(nsPath, "r");
  try {
    setns(target);
    try {
      const r = fn();
      if (r instanceof Promise) {
        throw new TypeError("inNetns: fn must be synchronous (sockets are created synchronously)");
      }
      return r;
    } finally {
      setns(self);
    }
  } finally {
    closeSync(target);
    closeSync(self);
  }
}

let gettid: (() => number) | undefined;
function threadId(): number {
  if (!gettid) {
    const libc = loadLibc();
    gettid = libc.func("int gettid()") as () => number;
  }
  return gettid();
}
