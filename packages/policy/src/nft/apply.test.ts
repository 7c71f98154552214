import { describe, expect, it } from "vitest";
import { NftApplier, NftApplyError } from "./apply.js";
import type { Ruleset } from "./ruleset.js";

const rs = (elements: string[]): Ruleset => ({
  table: "inet tortie",
  sets: new Map([["s", { decl: "type ipv4_addr; flags interval;", elements }]]),
  chains: new Map([["c", { rules: ["ip saddr @s accept"] }]]),
});

describe("NftApplier", () => {
  it("full, then nothing, then only the difference", async () => {
    const scripts: string[] = [];
    const a = new NftApplier(async (s) => {
      scripts.push(s);
    });
    expect((await a.apply(rs(["192.0.2.1"]))).mode).toBe("full");
    expect((await a.apply(rs(["192.0.2.1"]))).mode).toBe("none");
    const r = await a.apply(rs(["192.0.2.2"]));
    expect(r.mode).toBe("incremental");
    expect(scripts[1]).toBe(
      "delete element inet tortie s { 192.0.2.1 }\nadd element inet tortie s { 192.0.2.2 }\n",
    );
    expect(scripts).toHaveLength(2);
  });

  it("resynchronises with a full apply when the incremental script fails", async () => {
    const scripts: string[] = [];
    let fail = false;
    const a = new NftApplier(async (s) => {
      scripts.push(s);
      if (fail && !s.startsWith("add table"))
        throw new NftApplyError("No such file or directory", s);
    });
    await a.apply(rs(["192.0.2.1"]));
    fail = true;
    const r = await a.apply(rs(["192.0.2.3"]));
    expect(r.mode).toBe("resync");
    expect(scripts.at(-1)?.startsWith("add table inet tortie\ndelete table inet tortie\n")).toBe(
      true,
    );
    expect(a.applied?.sets.get("s")?.elements).toEqual(["192.0.2.3"]);
  });

  it("keeps the last good ruleset when nft rejects everything", async () => {
    let fail = false;
    const a = new NftApplier(async (s) => {
      if (fail) throw new NftApplyError("syntax error", s);
    });
    const good = rs(["192.0.2.1"]);
    await a.apply(good);
    fail = true;
    await expect(a.apply(rs(["192.0.2.9"]))).rejects.toBeInstanceOf(NftApplyError);
    expect(a.applied).toBe(good);
  });
});
