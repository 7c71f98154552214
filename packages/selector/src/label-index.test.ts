import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LabelIndex } from "./label-index.js";
import { parseSelector } from "./selector.js";

describe("LabelIndex", () => {
  it("reports matches starting and stopping as labels and selectors change", () => {
    const events: string[] = [];
    const idx = new LabelIndex<string, string>({
      onMatchStarted: (s, i) => events.push(`+${s}:${i}`),
      onMatchStopped: (s, i) => events.push(`-${s}:${i}`),
    });
    idx.updateSelector("web", parseSelector('app == "web"'));
    idx.updateSelector("any", parseSelector("has(app)"));
    idx.updateLabels("p1", { app: "web" });
    idx.updateLabels("p2", { app: "db" });
    expect(events.sort()).toEqual(["+any:p1", "+any:p2", "+web:p1"]);
    events.length = 0;
    idx.updateLabels("p2", { app: "web" });
    expect(events).toEqual(["+web:p2"]);
    events.length = 0;
    idx.updateSelector("web", parseSelector('app == "db"'));
    expect(events.sort()).toEqual(["-web:p1", "-web:p2"]);
    events.length = 0;
    idx.deleteLabels("p1");
    expect(events).toEqual(["-any:p1"]);
    events.length = 0;
    idx.deleteSelector("any");
    expect(events).toEqual(["-any:p2"]);
    expect([...idx.itemsMatching("web")]).toEqual([]);
    expect([...idx.selectorsMatching("p2")]).toEqual([]);
  });

  it("a label change tests only candidate selectors", () => {
    const idx = new LabelIndex<string, string>();
    for (let i = 0; i < 1000; i++) idx.updateSelector(`s${i}`, parseSelector(`app == "a${i}"`));
    idx.evaluations = 0;
    idx.updateLabels("p", { app: "a7" });
    expect(idx.evaluations).toBe(1);
    expect([...idx.selectorsMatching("p")]).toEqual(["s7"]);
  });

  it("agrees with brute force over random operation sequences", () => {
    const sels = [
      'app == "a"',
      'app != "a"',
      "has(tier)",
      '!has(tier) && app in {"a", "b"}',
      'tier starts with "f" || app == "b"',
      "all()",
      'app not in {"a"}',
    ];
    const op = fc.oneof(
      fc.record({
        t: fc.constant("labels" as const),
        item: fc.integer({ min: 0, max: 4 }),
        app: fc.constantFrom(undefined, "a", "b", "c"),
        tier: fc.constantFrom(undefined, "front", "back"),
      }),
      fc.record({ t: fc.constant("dellabels" as const), item: fc.integer({ min: 0, max: 4 }) }),
      fc.record({
        t: fc.constant("sel" as const),
        id: fc.integer({ min: 0, max: 3 }),
        sel: fc.constantFrom(...sels),
      }),
      fc.record({ t: fc.constant("delsel" as const), id: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const live = new Set<string>();
        const idx = new LabelIndex<number, number>({
          onMatchStarted: (s, i) => {
            expect(live.has(`${s}/${i}`)).toBe(false);
            live.add(`${s}/${i}`);
          },
          onMatchStopped: (s, i) => {
            expect(live.delete(`${s}/${i}`)).toBe(true);
          },
        });
        const labels = new Map<number, Record<string, string>>();
        const selectors = new Map<number, string>();
        for (const o of ops) {
          if (o.t === "labels") {
            const l: Record<string, string> = {};
            if (o.app) l.app = o.app;
            if (o.tier) l.tier = o.tier;
            labels.set(o.item, l);
            idx.updateLabels(o.item, l);
          } else if (o.t === "dellabels") {
            labels.delete(o.item);
            idx.deleteLabels(o.item);
          } else if (o.t === "sel") {
            selectors.set(o.id, o.sel);
            idx.updateSelector(o.id, parseSelector(o.sel));
          } else {
            selectors.delete(o.id);
            idx.deleteSelector(o.id);
          }
        }
        const want = new Set<string>();
        for (const [s, text] of selectors)
          for (const [i, l] of labels) if (parseSelector(text).evaluate(l)) want.add(`${s}/${i}`);
        expect([...live].sort()).toEqual([...want].sort());
        for (const s of selectors.keys())
          expect([...idx.itemsMatching(s)].sort()).toEqual(
            [...labels.keys()].filter((i) => want.has(`${s}/${i}`)).sort(),
          );
      }),
      { numRuns: 300 },
    );
  });
});
