// The daemon's V8 flags are flags this Node's V8 knows (setFlagsFromString
// ignores an unknown one silently; the command line refuses it), and the
// daemon as bundled still sets them first (the package is
// `"sideEffects": false`: a bundler drops what looks unused).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { JIT_FLAGS } from "./jit-tuning.js";

describe("tortie-bgp's V8 tuning", () => {
  it("names flags this V8 accepts", () => {
    const out = execFileSync(process.execPath, [...JIT_FLAGS.split(" "), "-p", "1"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe("1");
    expect(() =>
      execFileSync(process.execPath, ["--interrupt-budgett=1", "-p", "1"], { stdio: "pipe" }),
    ).toThrow();
  });

  it("is set by the bundled daemon before it parses its command line", async () => {
    const r = await build({
      entryPoints: [fileURLToPath(new URL("./tortie-bgp.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      write: false,
      logLevel: "silent",
    });
    const js = r.outputFiles[0]!.text;
    const set = js.indexOf("setFlagsFromString(JIT_FLAGS)");
    const call = js.indexOf("tuneJit();");
    expect(set).toBeGreaterThan(0);
    expect(js).toContain(JIT_FLAGS);
    expect(call).toBeGreaterThan(set);
    expect(call).toBeLessThan(js.indexOf("parseArgs("));
  }, 30_000);
});
