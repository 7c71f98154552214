import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadNetwork, ResultCache } from "./store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tortie-cni-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("network configurations on disk", () => {
  it("finds a network by name among .conf/.conflist/.json files, skipping broken ones", () => {
    writeFileSync(join(dir, "00-broken.conflist"), "{");
    writeFileSync(
      join(dir, "10-a.conf"),
      JSON.stringify({ cniVersion: "1.0.0", name: "a", type: "ptp" }),
    );
    writeFileSync(
      join(dir, "20-b.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "b",
        plugins: [{ type: "bridge" }, { type: "portmap" }],
      }),
    );
    writeFileSync(
      join(dir, "30-c.txt"),
      JSON.stringify({ cniVersion: "1.0.0", name: "c", type: "x" }),
    );
    expect(loadNetwork("a", [dir]).plugins.map((p) => p.type)).toEqual(["ptp"]);
    expect(loadNetwork("b", ["/nonexistent", dir]).plugins).toHaveLength(2);
    expect(() => loadNetwork("c", [dir])).toThrow(expect.objectContaining({ code: 7 }));
    expect(loadNetwork(join(dir, "20-b.conflist"), []).name).toBe("b");
    expect(() => loadNetwork(join(dir, "missing.conflist"), [])).toThrow(
      expect.objectContaining({ code: 5 }),
    );
    expect(() => loadNetwork(join(dir, "00-broken.conflist"), [])).toThrow(
      expect.objectContaining({ code: 6 }),
    );
  });
});

describe("ResultCache", () => {
  it("stores, lists per network and forgets attachments", () => {
    const c = new ResultCache(dir);
    const a = {
      network: "n",
      containerId: "c1",
      ifname: "eth0",
      netns: "/x",
      result: { cniVersion: "1.0.0" },
    };
    c.put(a);
    c.put({ ...a, containerId: "c2" });
    c.put({ ...a, network: "other" });
    expect(c.get("n", "c1", "eth0")).toEqual(a);
    expect(
      c
        .list("n")
        .map((x) => x.containerId)
        .sort(),
    ).toEqual(["c1", "c2"]);
    c.delete("n", "c1", "eth0");
    c.delete("n", "c1", "eth0");
    expect(c.get("n", "c1", "eth0")).toBeUndefined();
    expect(c.list("n")).toHaveLength(1);
    expect(new ResultCache(join(dir, "none")).list("n")).toEqual([]);
  });
});
