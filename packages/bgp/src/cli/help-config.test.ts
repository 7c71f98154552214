import { describe, expect, it } from "vitest";
import { SpeakerConfig } from "../speaker/config.js";
import { describeConfig } from "./help-config.js";

describe("tortie-bgp --help-config", () => {
  const lines = describeConfig(SpeakerConfig);
  it("lists every field with its type, default and meaning", () => {
    expect(lines).toContain("peers[].password  <string>  TCP-MD5 password (RFC 2385).");
    expect(lines).toContain(
      "peers[].holdTime  <number>  (default 90)  Hold time we propose, seconds (0 or ≥ 3; RFC 4271 §4.2).",
    );
    expect(lines.find((l) => l.startsWith("gracefulRestart.restartTime "))).toContain(
      "(default 120)",
    );
    expect(lines.find((l) => l.startsWith("listen.port "))).toContain("(default 179)");
    expect(lines.find((l) => l.startsWith("dynamicNeighbors[].asn "))).toContain(
      '<number | "internal" | "external">',
    );
  });
  it("no field without a description", () => {
    expect(lines.filter((l) => /> {2}(\(default [^)]*\) {2})?$/.test(l))).toEqual([]);
    expect(lines.length).toBeGreaterThan(40);
  });
});
