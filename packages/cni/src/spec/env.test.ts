import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  containerIdProblem,
  formatCniArgs,
  ifnameProblem,
  invocationEnv,
  parseCniArgs,
  parseEnv,
} from "./env.js";
import { CniError } from "./errors.js";

const full = {
  CNI_CONTAINERID: "abc123",
  CNI_NETNS: "/var/run/netns/x",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin:/usr/lib/cni",
};

const code = (c: number) => expect.objectContaining({ code: c });

describe("parseEnv", () => {
  it("reads an ADD", () => {
    expect(parseEnv({ ...full, CNI_COMMAND: "ADD", CNI_ARGS: "A=1;B=x=y" })).toEqual({
      command: "ADD",
      containerId: "abc123",
      netns: "/var/run/netns/x",
      ifname: "eth0",
      args: [
        ["A", "1"],
        ["B", "x=y"],
      ],
      path: ["/opt/cni/bin", "/usr/lib/cni"],
    });
  });

  it("fails with code 4 on a missing or unknown CNI_COMMAND", () => {
    expect(() => parseEnv(full)).toThrow(code(4));
    expect(() => parseEnv({ ...full, CNI_COMMAND: "" })).toThrow(/CNI_COMMAND/);
    expect(() => parseEnv({ ...full, CNI_COMMAND: "UPDATE" })).toThrow(
      /unknown CNI_COMMAND: UPDATE/,
    );
  });

  it.each(["ADD", "CHECK"])("%s requires container id, netns and ifname", (cmd) => {
    expect(() => parseEnv({ CNI_COMMAND: cmd })).toThrow(
      "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME] missing",
    );
  });

  it("DEL allows a missing netns", () => {
    const { CNI_NETNS: _, ...env } = full;
    expect(parseEnv({ ...env, CNI_COMMAND: "DEL" }).netns).toBe("");
    expect(() => parseEnv({ CNI_COMMAND: "DEL", CNI_IFNAME: "eth0" })).toThrow(/CNI_CONTAINERID/);
  });

  it("GC requires CNI_PATH; STATUS and VERSION require nothing else", () => {
    expect(() => parseEnv({ CNI_COMMAND: "GC" })).toThrow(/\[CNI_PATH\]/);
    expect(parseEnv({ CNI_COMMAND: "GC", CNI_PATH: "/a" }).path).toEqual(["/a"]);
    expect(parseEnv({ CNI_COMMAND: "STATUS" }).containerId).toBe("");
    expect(parseEnv({ CNI_COMMAND: "VERSION", CNI_ARGS: "garbage" }).args).toEqual([]);
  });

  it("rejects a bad container id and a bad interface name with code 4", () => {
    expect(() => parseEnv({ ...full, CNI_COMMAND: "ADD", CNI_CONTAINERID: "-x" })).toThrow(code(4));
    expect(() =>
      parseEnv({ ...full, CNI_COMMAND: "ADD", CNI_IFNAME: "a-very-long-ifname" }),
    ).toThrow(/CNI_IFNAME .* longer than 15/);
    expect(() => parseEnv({ ...full, CNI_COMMAND: "ADD", CNI_ARGS: "novalue" })).toThrow(code(4));
  });
});

describe("names and CNI_ARGS", () => {
  it("checks container ids", () => {
    expect(containerIdProblem("a.b_c-1")).toBeUndefined();
    expect(containerIdProblem("")).toBe("is empty");
    expect(containerIdProblem("_a")).toBeDefined();
    expect(containerIdProblem("a b")).toBeDefined();
  });

  it("checks interface names as Linux does", () => {
    expect(ifnameProblem("eth0")).toBeUndefined();
    expect(ifnameProblem("123456789012345")).toBeUndefined();
    expect(ifnameProblem("1234567890123456")).toBeDefined();
    for (const bad of ["", ".", "..", "a/b", "a:b", "a b", "a\tb"])
      expect(ifnameProblem(bad)).toBeDefined();
  });

  it("parses and formats CNI_ARGS", () => {
    expect(parseCniArgs("")).toEqual([]);
    expect(parseCniArgs("K8S_POD_NAME=p;IgnoreUnknown=1;")).toEqual([
      ["K8S_POD_NAME", "p"],
      ["IgnoreUnknown", "1"],
    ]);
    expect(parseCniArgs("A=")).toEqual([["A", ""]]);
    expect(() => parseCniArgs("=x")).toThrow(/not KEY=VALUE/);
    expect(() => parseCniArgs("A=1;B")).toThrow(/"B"/);
    expect(
      formatCniArgs([
        ["A", "1"],
        ["B", "2"],
      ]),
    ).toBe("A=1;B=2");
  });

  it("invocationEnv is the inverse of parseEnv", () => {
    const inv = parseEnv({ ...full, CNI_COMMAND: "CHECK", CNI_ARGS: "A=1" });
    expect(parseEnv(invocationEnv(inv))).toEqual(inv);
    expect(invocationEnv({ command: "VERSION" })).toEqual({ CNI_COMMAND: "VERSION" });
  });
});

describe("parseEnv on arbitrary environments (fuzz)", () => {
  it("returns an invocation or throws CniError code 4, nothing else", () => {
    const key = fc.constantFrom(
      "CNI_COMMAND",
      "CNI_CONTAINERID",
      "CNI_NETNS",
      "CNI_IFNAME",
      "CNI_ARGS",
      "CNI_PATH",
    );
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"),
    );
    fc.assert(
      fc.property(fc.dictionary(key, value), (env) => {
        try {
          const inv = parseEnv(env);
          expect(inv.command).toBe(env.CNI_COMMAND);
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          expect((e as CniError).code).toBe(4);
        }
      }),
    );
  });
});
