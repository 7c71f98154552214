// Which C library file to hand to koffi.load(): the one this process already
// runs on. Linux only; glibc ("libc.so.6") and musl (Alpine:
// "ld-musl-<arch>.so.1", also reachable as "libc.musl-<arch>.so.1").
//
// 1. /proc/self/maps names the libc mapped into this process: loading that
//    same file returns the loaded copy (never a second libc).
// 2. Without /proc, the usual install paths for the CPU: glibc's first, so a
//    glibc host that also has the musl package never gets musl.
// 3. Nothing found: LibcUnavailableError, one line naming platform, arch and
//    every file tried.
// Pure: the file-existence check and the maps text are injected.
// @tortie/bgp and @tortie/testbed keep their own copy of this lookup (they
// must not depend on @tortie/netlink); the tests share one vector of cases.

/** No usable C library: koffi cannot bind the system calls. */
export class LibcUnavailableError extends Error {
  /** "LibcUnavailableError". */
  override readonly name = "LibcUnavailableError";
  constructor(
    /** `process.platform`. */
    readonly platform: string,
    /** `process.arch`. */
    readonly arch: string,
    /** The files looked for, in order. */
    readonly tried: readonly string[],
    /** Why the found file did not load, when one was found. */
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

/** What {@link locateLibc} looks at; defaults are this process's. */
export interface LibcProbe {
  readonly platform: string;
  readonly arch: string;
  /** Whether a file exists. */
  readonly exists: (path: string) => boolean;
  /** The text of /proc/self/maps, if readable. */
  readonly maps?: string;
}

/** GNU triplet directory and musl arch name per Node `process.arch`. */
const ARCH: Readonly<Record<string, { gnu: string[]; musl: string }>> = {
  x64: { gnu: ["x86_64-linux-gnu"], musl: "x86_64" },
  arm64: { gnu: ["aarch64-linux-gnu"], musl: "aarch64" },
  arm: { gnu: ["arm-linux-gnueabihf", "arm-linux-gnueabi"], musl: "armhf" },
  ia32: { gnu: ["i386-linux-gnu"], musl: "x86" },
  riscv64: { gnu: ["riscv64-linux-gnu"], musl: "riscv64" },
  ppc64: { gnu: ["powerpc64le-linux-gnu"], musl: "ppc64le" },
  s390x: { gnu: ["s390x-linux-gnu"], musl: "s390x" },
  loong64: { gnu: ["loongarch64-linux-gnu"], musl: "loongarch64" },
};

/** The files looked for on `arch`, glibc's first. */
export function libcCandidates(arch: string): string[] {
  const a = ARCH[arch];
  const gnu = [
    ...(a?.gnu ?? []).flatMap((t) => [`/lib/${t}/libc.so.6`, `/usr/lib/${t}/libc.so.6`]),
    "/lib64/libc.so.6",
    "/usr/lib64/libc.so.6",
    "/lib/libc.so.6",
    "/usr/lib/libc.so.6",
  ];
  const musl = a
    ? [
        `/lib/ld-musl-${a.musl}.so.1`,
        `/lib/libc.musl-${a.musl}.so.1`,
        `/usr/lib/libc.musl-${a.musl}.so.1`,
      ]
    : [];
  return [...gnu, ...musl];
}

const LIBC_FILE = /^(libc\.so\.6|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/;

/** The libc file mapped into the process, from /proc/self/maps text. */
export function mappedLibc(maps: string): string | undefined {
  for (const line of maps.split("\n")) {
    const path = line.split(/\s+/)[5];
    if (path?.startsWith("/") && LIBC_FILE.test(path.slice(path.lastIndexOf("/") + 1))) {
      return path;
    }
  }
  return undefined;
}

/**
 * The C library file to load, or {@link LibcUnavailableError} naming the
 * platform, arch and the files tried.
 */
export function locateLibc(probe: LibcProbe): string {
  if (probe.platform !== "linux") throw new LibcUnavailableError(probe.platform, probe.arch, []);
  const tried: string[] = [];
  const mapped = probe.maps !== undefined ? mappedLibc(probe.maps) : undefined;
  if (mapped) {
    tried.push(mapped);
    if (probe.exists(mapped)) return mapped;
  }
  for (const c of libcCandidates(probe.arch)) {
    if (tried.includes(c)) continue;
    tried.push(c);
    if (probe.exists(c)) return c;
  }
  throw new LibcUnavailableError(probe.platform, probe.arch, tried);
}
