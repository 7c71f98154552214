// The daemon's V8 flags are flags this Node's V8 knows (setFlagsFromString
// ignores an unknown one silently; the command line refuses it), and the
// daemon as bundled still sets them first (the package is
// `"sideEffects": false`: a bundler drops what looks unused).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import {
  JIT_FLAGS,
  REEXECUTED_ENV,
  reexecArgv,
  V8_PROCESS_FLAGS,
  V8_THREADS_ENV,
  V8ThreadsSettingError,
} from "./jit-tuning.js";

describe("tortie-bgp's V8 tuning", () => {
  it("names flags this V8 accepts", () => {
    const out = execFileSync(process.execPath, [...JIT_FLAGS.split(" "), "-p", "1"], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe("1");
    expect(() =>
      execFileSync(process.execPath, ["--interrupt-budgett=1", "-p", "1"], { stdio: "pipe" }),
    ).toThrow();
    // the process flags too (a flag V8 does not know stops node before it runs)
    expect(
      execFileSync(process.execPath, [...V8_PROCESS_FLAGS, "-p", "1"], { encoding: "utf8" }),
    ).toBe("1\n");
  });

  describe("the re-execution with one helper thread for V8", () => {
    const node = "/usr/bin/node";
    const argv = [node, "/opt/tortie/tortie-bgp.js", "--config", "bgp.yaml"];

    it("adds the flags before Node's own, then the script and its arguments", () => {
      expect(reexecArgv(node, ["--import", "tsx"], argv, {})).toEqual([
        node,
        "--v8-pool-size=1",
        "--initial-old-space-size=64",
        "--no-concurrent-recompilation",
        "--import",
        "tsx",
        "/opt/tortie/tortie-bgp.js",
        "--config",
        "bgp.yaml",
      ]);
      expect(reexecArgv(node, [], argv, { [V8_THREADS_ENV]: "one" })).toEqual([
        node,
        "--v8-pool-size=1",
        "--initial-old-space-size=64",
        "--no-concurrent-recompilation",
        ...argv.slice(1),
      ]);
      // only what is missing (a user's own heap size, after ours, wins: V8 takes the last)
      expect(
        reexecArgv(node, ["--v8-pool-size=1", "--initial-old-space-size=128"], argv, {}),
      ).toEqual([
        node,
        "--initial-old-space-size=64",
        "--no-concurrent-recompilation",
        "--v8-pool-size=1",
        "--initial-old-space-size=128",
        ...argv.slice(1),
      ]);
    });

    it("happens once: not when the process has the flags, not when the user keeps V8's threads", () => {
      expect(reexecArgv(node, [...V8_PROCESS_FLAGS], argv, {})).toBeUndefined();
      expect(reexecArgv(node, [], argv, { [V8_THREADS_ENV]: "default" })).toBeUndefined();
      // a Node that dropped the flag on the way cannot make it loop
      expect(reexecArgv(node, [], argv, { [REEXECUTED_ENV]: "1" })).toBeUndefined();
    });

    it("refuses any other setting, naming the closest", () => {
      expect(() => reexecArgv(node, [], argv, { [V8_THREADS_ENV]: "defualt" })).toThrow(
        V8ThreadsSettingError,
      );
      expect(() => reexecArgv(node, [], argv, { [V8_THREADS_ENV]: "defualt" })).toThrow(
        /TORTIE_BGP_V8_THREADS=defualt is not a setting \(did you mean "default"\?\)/,
      );
      expect(() => reexecArgv(node, [], argv, { [V8_THREADS_ENV]: "" })).toThrow(
        V8ThreadsSettingError,
      );
    });
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
