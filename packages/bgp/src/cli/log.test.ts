import { describe, expect, it } from "vitest";
import { enabled, levelOf, Repeats, RouteCounters } from "./log.js";

describe("log levels", () => {
  it("per-route lines and FSM steps are debug; failures warn or error; the rest info", () => {
    expect(levelOf("route-learned")).toBe("debug");
    expect(levelOf("route-withdrawn")).toBe("debug");
    expect(levelOf("peer-state")).toBe("debug");
    expect(levelOf("routes-summary")).toBe("info");
    expect(levelOf("peer-up")).toBe("info");
    expect(levelOf("peer-error")).toBe("warn");
    expect(levelOf("connect-unanswered")).toBe("warn");
    expect(levelOf("session-error")).toBe("error");
  });
  it("a threshold lets through its level and above", () => {
    expect(enabled("info", "debug")).toBe(false);
    expect(enabled("info", "info")).toBe(true);
    expect(enabled("info", "error")).toBe(true);
    expect(enabled("debug", "debug")).toBe(true);
    expect(enabled("error", "warn")).toBe(false);
  });
});

describe("RouteCounters", () => {
  it("sums per peer and resets what it hands out", () => {
    const c = new RouteCounters();
    c.add("192.0.2.1", 500, 0);
    c.add("192.0.2.1", 500, 3);
    c.add("192.0.2.3", 0, 0); // nothing: no line
    c.add("192.0.2.4", 1, 0);
    expect(c.take("192.0.2.1")).toEqual([{ peer: "192.0.2.1", learned: 1000, withdrawn: 3 }]);
    expect(c.take("192.0.2.1")).toEqual([]);
    expect(c.take()).toEqual([{ peer: "192.0.2.4", learned: 1, withdrawn: 0 }]);
    expect(c.take()).toEqual([]);
  });
});

describe("Repeats", () => {
  it("logs a cause once, again after the quiet time with the count, and a new cause at once", () => {
    const r = new Repeats(60_000);
    expect(r.check("p", "Bad peer AS", 0)).toEqual({ log: true, suppressed: 0 });
    expect(r.check("p", "Bad peer AS", 5_000).log).toBe(false);
    expect(r.check("p", "Bad peer AS", 10_000).log).toBe(false);
    expect(r.check("p", "Bad peer AS", 60_000)).toEqual({ log: true, suppressed: 2 });
    expect(r.check("p", "no reply to SYN", 61_000)).toEqual({ log: true, suppressed: 0 });
    expect(r.check("q", "no reply to SYN", 61_000).log).toBe(true);
    r.clear("p");
    expect(r.check("p", "no reply to SYN", 62_000).log).toBe(true);
  });
});
