import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareVersions,
  hasIpVersionField,
  isSupportedVersion,
  parseVersion,
  SUPPORTED_VERSIONS,
  selectVersion,
  versionSupportsCommand,
} from "./versions.js";

describe("versions", () => {
  it("supports exactly the five result versions", () => {
    expect(SUPPORTED_VERSIONS).toEqual(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
    expect(isSupportedVersion("1.1.0")).toBe(true);
    expect(isSupportedVersion("0.2.0")).toBe(false);
    expect(isSupportedVersion(1)).toBe(false);
  });

  it("parses and compares semantic versions numerically", () => {
    expect(parseVersion("1.10.0")).toEqual([1, 10, 0]);
    expect(parseVersion("01.0.0")).toBeUndefined();
    expect(parseVersion("1.0")).toBeUndefined();
    expect(compareVersions("0.10.0", "0.9.9")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0", "1.0.0")).toBe(0);
    expect(compareVersions("garbage", "0.0.1")).toBeLessThan(0);
  });

  it("comparison is antisymmetric", () => {
    const v = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((t) => t.join("."));
    fc.assert(
      fc.property(
        v,
        v,
        (a, b) => Math.sign(compareVersions(a, b)) === -Math.sign(compareVersions(b, a)),
      ),
    );
  });

  it("selects the highest supported version offered", () => {
    expect(selectVersion(["0.4.0", "1.0.0", "1.1.0", "2.0.0"])).toBe("1.1.0");
    expect(selectVersion(["0.3.1", "0.3.0"])).toBe("0.3.1");
    expect(selectVersion(["1.1.0"], ["0.4.0", "1.0.0"])).toBeUndefined();
    expect(selectVersion([])).toBeUndefined();
  });

  it("knows which versions carry ips[].version and which verbs exist", () => {
    expect(["0.3.0", "0.3.1", "0.4.0"].every(hasIpVersionField)).toBe(true);
    expect(["1.0.0", "1.1.0"].some(hasIpVersionField)).toBe(false);
    expect(versionSupportsCommand("0.3.1", "CHECK")).toBe(false);
    expect(versionSupportsCommand("0.4.0", "CHECK")).toBe(true);
    expect(versionSupportsCommand("1.0.0", "GC")).toBe(false);
    expect(versionSupportsCommand("1.1.0", "STATUS")).toBe(true);
    expect(versionSupportsCommand("0.3.0", "ADD")).toBe(true);
  });
});
