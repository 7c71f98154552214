// Which code a benchmark measured: the last commit that touched
// packages/bgp/src and whether the working tree differs from it there (the
// benchmarks bundle the working tree).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

/** "5ca9339 2026-12-02 09:38 (clean)" or "… (+ 3 uncommitted files)"; "unknown" outside git. */
export function sourceVersion(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: SRC, encoding: "utf8" }).trim();
    const head = git("log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M", "--", ".");
    const dirty = git("status", "--porcelain", "--", ".").split("\n").filter(Boolean).length;
    return `${head} (${dirty ? `+ ${dirty} uncommitted files` : "clean"})`;
  } catch {
    return "unknown";
  }
}
