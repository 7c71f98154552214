import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs without types
import { PLACEHOLDER, publishProblems, withRepository } from "./metadata.mjs";

const root = join(import.meta.dirname, "../..");
const check = join(import.meta.dirname, "check.mjs");
const publicPackages = readdirSync(join(root, "packages"))
  .map((d) => join(root, "packages", d, "package.json"))
  .filter((f) => {
    try {
      return !JSON.parse(readFileSync(f, "utf8")).private;
    } catch {
      return false;
    }
  });
const tmp = mkdtempSync(join(tmpdir(), "tortie-release-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("release metadata", () => {
  it("every public package runs the check before it is published", () => {
    expect(publicPackages.length).toBeGreaterThanOrEqual(8);
    for (const f of publicPackages)
      expect(JSON.parse(readFileSync(f, "utf8")).scripts?.prepublishOnly, f).toBe(
        "node ../../scripts/release/check.mjs",
      );
  });

  it("the placeholder repository cannot be published", () => {
    const r = spawnSync(process.execPath, [check, ...publicPackages], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`@tortie/bgp: repository is the placeholder ${PLACEHOLDER}`);
    expect(r.stderr).toContain("@tortie/bgp: no homepage");
  });

  it("with a real repository every package is publishable, each pointing at its own folder", () => {
    for (const f of publicPackages) {
      const pkg = JSON.parse(readFileSync(f, "utf8"));
      const dir = `packages/${f.split("/").at(-2)}`;
      const fixed = withRepository(pkg, "https://git.tortie.test/net/tortie/", dir);
      expect(fixed.repository).toEqual({
        type: "git",
        url: "git+https://git.tortie.test/net/tortie.git",
        directory: dir,
      });
      expect(fixed.homepage).toBe(`https://git.tortie.test/net/tortie/tree/main/${dir}#readme`);
      expect(publishProblems(fixed)).toEqual([]);
      const out = join(tmp, `${dir.replace("/", "-")}.json`);
      writeFileSync(out, JSON.stringify(fixed));
      execFileSync(process.execPath, [check, out]); // exits 0
    }
  });

  it("refuses a URL that is not https", () => {
    expect(() => withRepository({ name: "x" }, "git@host:org/tortie.git", "packages/x")).toThrow(
      /not a URL/,
    );
    expect(() => withRepository({ name: "x" }, "http://host/org/tortie", "packages/x")).toThrow(
      /must be https/,
    );
  });
});
