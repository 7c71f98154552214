// The C library lookup: the same cases as @tortie/netlink's
// socket/libc-path.test.ts (each package keeps its own copy of the lookup).
import { readFileSync } from "node:fs";
import { locateLibc as testbedLocateLibc } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { LibcUnavailableError, libcCandidates, loadLibc, locateLibc } from "./libc.js";

const GLIBC_MAPS = "7f90-7f91 r-xp 00026000 fe:00 339380  /usr/lib/x86_64-linux-gnu/libc.so.6\n";
const MUSL_MAPS = "7f90-7f91 r-xp 00014000 08:01 1234  /lib/ld-musl-x86_64.so.1\n";
const onDisk =
  (...files: string[]) =>
  (p: string) =>
    files.includes(p);
const linux = (arch: string, exists: (p: string) => boolean, maps?: string) => ({
  platform: "linux",
  arch,
  exists,
  ...(maps !== undefined ? { maps } : {}),
});

describe("locateLibc", () => {
  it("glibc and musl: the libc mapped into the process", () => {
    expect(
      locateLibc(linux("x64", onDisk("/usr/lib/x86_64-linux-gnu/libc.so.6"), GLIBC_MAPS)),
    ).toBe("/usr/lib/x86_64-linux-gnu/libc.so.6");
    expect(locateLibc(linux("x64", onDisk("/lib/ld-musl-x86_64.so.1"), MUSL_MAPS))).toBe(
      "/lib/ld-musl-x86_64.so.1",
    );
  });

  it("without /proc: install paths, glibc's first when both are on disk", () => {
    expect(locateLibc(linux("arm64", onDisk("/lib/aarch64-linux-gnu/libc.so.6")))).toBe(
      "/lib/aarch64-linux-gnu/libc.so.6",
    );
    expect(
      locateLibc(linux("x64", onDisk("/lib/ld-musl-x86_64.so.1", "/usr/lib64/libc.so.6"))),
    ).toBe("/usr/lib64/libc.so.6");
    expect(locateLibc(linux("x64", onDisk("/lib/ld-musl-x86_64.so.1")))).toBe(
      "/lib/ld-musl-x86_64.so.1",
    );
    expect(locateLibc(linux("arm64", onDisk("/usr/lib/libc.musl-aarch64.so.1")))).toBe(
      "/usr/lib/libc.musl-aarch64.so.1",
    );
  });

  it("a mapped libc that vanished falls through to the install paths", () => {
    expect(locateLibc(linux("x64", onDisk("/lib/x86_64-linux-gnu/libc.so.6"), GLIBC_MAPS))).toBe(
      "/lib/x86_64-linux-gnu/libc.so.6",
    );
  });

  it("neither: one typed line naming platform, arch and every file tried", () => {
    let err: unknown;
    try {
      locateLibc(linux("x64", () => false, ""));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibcUnavailableError);
    const e = err as LibcUnavailableError;
    expect(e.tried).toEqual(libcCandidates("x64"));
    expect(e.message).not.toContain("\n");
    expect(e.message).toMatch(
      /^cannot load the C library on linux\/x64: no glibc or musl found \(tried \/lib\/x86_64-linux-gnu\/libc\.so\.6, .*\/lib\/ld-musl-x86_64\.so\.1/,
    );
    expect(() => locateLibc({ platform: "darwin", arch: "arm64", exists: () => true })).toThrow(
      "cannot load the C library on darwin/arm64: only Linux (glibc or musl) is supported",
    );
  });

  it("a file that does not load is the same typed error with koffi's first line", () => {
    expect(() =>
      loadLibc(
        () => {
          throw new Error("Failed to load shared library: wrong ELF class\nmore");
        },
        linux("x64", onDisk("/lib/ld-musl-x86_64.so.1")),
      ),
    ).toThrow(
      "cannot load the C library on linux/x64: /lib/ld-musl-x86_64.so.1: Failed to load shared library: wrong ELF class",
    );
  });

  it("on this machine: the libc this process runs on", () => {
    const path = loadLibc((p) => p);
    expect(readFileSync("/proc/self/maps", "utf8")).toContain(path);
  });
});

describe("the copies of the lookup agree (@tortie/testbed keeps one)", () => {
  const G = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  const M = "/lib/ld-musl-x86_64.so.1";
  const maps = (p: string) => `7f90-7f91 r-xp 0 fe:00 1  ${p}\n`;
  const cases = [
    { platform: "linux", arch: "x64", exists: (p: string) => p === G, maps: maps(G) },
    { platform: "linux", arch: "x64", exists: (p: string) => p === M, maps: maps(M) },
    { platform: "linux", arch: "x64", exists: (p: string) => p === M || p === "/lib64/libc.so.6" },
    { platform: "linux", arch: "arm64", exists: (p: string) => p.includes("aarch64") },
    { platform: "linux", arch: "riscv64", exists: () => false, maps: "" },
    { platform: "linux", arch: "mips", exists: () => false },
    { platform: "freebsd", arch: "x64", exists: () => true },
  ];
  const answer = (f: typeof locateLibc, probe: (typeof cases)[number]) => {
    try {
      return f(probe);
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  it.each(cases.map((c, i) => [i, c] as const))("case %i", (_i, probe) => {
    const mine = answer(locateLibc, probe);
    expect(answer(testbedLocateLibc, probe)).toBe(mine);
  });
});
