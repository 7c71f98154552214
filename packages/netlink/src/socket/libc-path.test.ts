import { readFileSync } from "node:fs";
import { locateLibc as testbedLocateLibc } from "@tortie/testbed";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadLibc, systemLibcProbe } from "./libc.js";
import { LibcUnavailableError, libcCandidates, locateLibc, mappedLibc } from "./libc-path.js";

// The shared vector: the same cases are in @tortie/bgp's libc.test.ts and
// @tortie/testbed (each package keeps its own copy of the lookup).
const GLIBC_MAPS = "7f90-7f91 r-xp 00026000 fe:00 339380  /usr/lib/x86_64-linux-gnu/libc.so.6\n";
const MUSL_MAPS = "7f90-7f91 r-xp 00014000 08:01 1234  /lib/ld-musl-x86_64.so.1\n";
const onDisk =
  (...files: string[]) =>
  (p: string) =>
    files.includes(p);

describe("locateLibc", () => {
  it("glibc: the libc mapped into the process", () => {
    expect(
      locateLibc({
        platform: "linux",
        arch: "x64",
        maps: GLIBC_MAPS,
        exists: onDisk("/usr/lib/x86_64-linux-gnu/libc.so.6"),
      }),
    ).toBe("/usr/lib/x86_64-linux-gnu/libc.so.6");
  });

  it("musl (Alpine): the libc mapped into the process", () => {
    expect(
      locateLibc({
        platform: "linux",
        arch: "x64",
        maps: MUSL_MAPS,
        exists: onDisk("/lib/ld-musl-x86_64.so.1"),
      }),
    ).toBe("/lib/ld-musl-x86_64.so.1");
  });

  it("without /proc: glibc's install path, and glibc first when both are on disk", () => {
    expect(
      locateLibc({
        platform: "linux",
        arch: "arm64",
        exists: onDisk("/lib/aarch64-linux-gnu/libc.so.6"),
      }),
    ).toBe("/lib/aarch64-linux-gnu/libc.so.6");
    expect(
      locateLibc({
        platform: "linux",
        arch: "x64",
        exists: onDisk("/lib/ld-musl-x86_64.so.1", "/usr/lib64/libc.so.6"),
      }),
    ).toBe("/usr/lib64/libc.so.6");
  });

  it("without /proc: musl's install paths (Alpine)", () => {
    expect(
      locateLibc({ platform: "linux", arch: "x64", exists: onDisk("/lib/ld-musl-x86_64.so.1") }),
    ).toBe("/lib/ld-musl-x86_64.so.1");
    expect(
      locateLibc({
        platform: "linux",
        arch: "arm64",
        exists: onDisk("/usr/lib/libc.musl-aarch64.so.1"),
      }),
    ).toBe("/usr/lib/libc.musl-aarch64.so.1");
  });

  it("neither: one line naming platform, arch and every file tried", () => {
    let err: unknown;
    try {
      locateLibc({ platform: "linux", arch: "x64", maps: "", exists: () => false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LibcUnavailableError);
    const e = err as LibcUnavailableError;
    expect(e.tried).toEqual(libcCandidates("x64"));
    expect(e.tried).toContain("/lib/x86_64-linux-gnu/libc.so.6");
    expect(e.tried).toContain("/lib/ld-musl-x86_64.so.1");
    expect(e.message).not.toContain("\n");
    expect(e.message).toMatch(
      /^cannot load the C library on linux\/x64: no glibc or musl found \(tried \/lib\/x86_64-linux-gnu\/libc\.so\.6, .*\/lib\/ld-musl-x86_64\.so\.1/,
    );
  });

  it("a mapped libc that vanished from disk falls through to the install paths", () => {
    expect(
      locateLibc({
        platform: "linux",
        arch: "x64",
        maps: GLIBC_MAPS,
        exists: onDisk("/lib/x86_64-linux-gnu/libc.so.6"),
      }),
    ).toBe("/lib/x86_64-linux-gnu/libc.so.6");
  });

  it("not Linux: names the platform", () => {
    expect(() => locateLibc({ platform: "darwin", arch: "arm64", exists: () => true })).toThrow(
      "cannot load the C library on darwin/arm64: only Linux (glibc or musl) is supported",
    );
  });

  it("reads maps lines without a path, or with other libraries, as no libc", () => {
    expect(
      mappedLibc(
        "7f-80 rw-p 00000000 00:00 0\n7f-80 r-xp 0 fe:00 1 /usr/lib/x86_64-linux-gnu/libcrypto.so.3\n",
      ),
    ).toBe(undefined);
    expect(mappedLibc("7f-80 r-xp 0 fe:00 1  /usr/lib/libc.musl-x86_64.so.1")).toBe(
      "/usr/lib/libc.musl-x86_64.so.1",
    );
  });
});

describe("loadLibc", () => {
  it("a file that does not load is the same typed one-line error, with koffi's reason", () => {
    const probe = { platform: "linux", arch: "x64", exists: onDisk("/lib/ld-musl-x86_64.so.1") };
    expect(() =>
      loadLibc(() => {
        throw new Error("Failed to load shared library: wrong ELF class\nat koffi.load");
      }, probe),
    ).toThrow(
      new LibcUnavailableError(
        "linux",
        "x64",
        ["/lib/ld-musl-x86_64.so.1"],
        "Failed to load shared library: wrong ELF class",
      ),
    );
  });

  it("on this machine: finds the libc this process runs on", () => {
    const probe = systemLibcProbe();
    const path = locateLibc(probe);
    expect(readFileSync("/proc/self/maps", "utf8")).toContain(path);
    expect(loadLibc((p) => p, probe)).toBe(path);
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

describe("mappedLibc, fuzzed", () => {
  it("any maps text gives undefined or an absolute libc path from it", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => {
        const p = mappedLibc(t);
        if (p !== undefined) {
          expect(p.startsWith("/")).toBe(true);
          expect(t).toContain(p);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
