import { describe, expect, it } from "vitest";
import { parseNetworkConfig } from "../spec/config.js";
import { CniError } from "../spec/errors.js";
import { type ExecRequest, invokePlugin } from "./invoke.js";
import { CniRuntime } from "./runtime.js";

interface Call {
  type: string;
  command: string;
  config: Record<string, unknown>;
  env: Readonly<Record<string, string>>;
}

/** A fake executor: each plugin type adds one IP to the prevResult it got. */
function fakeRuntime(fail: Record<string, { code: number; stdout: string; stderr?: string }> = {}) {
  const calls: Call[] = [];
  const exec = async (req: ExecRequest) => {
    const type = req.pluginPath.split("/").pop()!;
    const config = JSON.parse(req.stdin) as Record<string, unknown>;
    const command = req.env.CNI_COMMAND!;
    calls.push({ type, command, config, env: req.env });
    const f = fail[`${type}:${command}`];
    if (f) return { exitCode: f.code, stdout: f.stdout, stderr: f.stderr ?? "" };
    if (command !== "ADD") return { exitCode: 0, stdout: "", stderr: "" };
    const prev = (config.prevResult ?? { cniVersion: config.cniVersion, ips: [] }) as {
      ips: unknown[];
    };
    const n = prev.ips.length + 1;
    const out = {
      ...prev,
      cniVersion: config.cniVersion,
      ips: [...prev.ips, { address: `192.0.2.${n}/32` }],
    };
    return { exitCode: 0, stdout: JSON.stringify(out), stderr: "" };
  };
  const rt = new CniRuntime({ path: ["/opt/cni"], exec, locate: (t, p) => `${p[0]}/${t}` });
  return { rt, calls };
}

const list = parseNetworkConfig({
  cniVersion: "1.1.0",
  name: "net",
  plugins: [{ type: "a", capabilities: { portMappings: true } }, { type: "b" }, { type: "c" }],
});
const att = {
  containerId: "c1",
  netns: "/var/run/netns/p",
  ifname: "eth0",
  args: [["K8S_POD_NAME", "x"]] as [string, string][],
  capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }] },
};

describe("CniRuntime", () => {
  it("ADD runs the plugins in order, threading prevResult, and returns the last result", async () => {
    const { rt, calls } = fakeRuntime();
    const out = await rt.add(list, att);
    expect(calls.map((c) => c.type)).toEqual(["a", "b", "c"]);
    expect(calls[0]?.config).not.toHaveProperty("prevResult");
    expect(calls[0]?.config.runtimeConfig).toEqual({
      portMappings: att.capabilityArgs.portMappings,
    });
    expect(calls[1]?.config.prevResult).toEqual({
      cniVersion: "1.1.0",
      ips: [{ address: "192.0.2.1/32" }],
    });
    expect(calls[0]?.env).toEqual({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "c1",
      CNI_NETNS: "/var/run/netns/p",
      CNI_IFNAME: "eth0",
      CNI_ARGS: "K8S_POD_NAME=x",
      CNI_PATH: "/opt/cni",
    });
    expect(out.result.ips?.map((i) => i.address)).toEqual([
      "192.0.2.1/32",
      "192.0.2.2/32",
      "192.0.2.3/32",
    ]);
    expect(out.cniVersion).toBe("1.1.0");
  });

  it("DEL runs in reverse with the final ADD result converted to the list's version", async () => {
    const { rt, calls } = fakeRuntime();
    const prev = { cniVersion: "1.1.0", ips: [{ address: "192.0.2.9/32" }] };
    const l040 = parseNetworkConfig({ ...list, cniVersion: "0.4.0", disableCheck: false });
    await rt.del(l040, att, prev);
    expect(calls.map((c) => `${c.type}:${c.command}`)).toEqual(["c:DEL", "b:DEL", "a:DEL"]);
    expect(calls[0]?.config.prevResult).toEqual({
      cniVersion: "0.4.0",
      ips: [{ version: "4", address: "192.0.2.9/32" }],
    });
  });

  it("DEL without a stored result sends no prevResult; before 0.4.0 never", async () => {
    const { rt, calls } = fakeRuntime();
    await rt.del(list, att);
    const l031 = parseNetworkConfig({ cniVersion: "0.3.1", name: "n", plugins: [{ type: "a" }] });
    await rt.del(l031, att, { cniVersion: "0.3.1", ips: [] });
    expect(calls.every((c) => !("prevResult" in c.config))).toBe(true);
  });

  it("CHECK runs in order with the ADD result, is skipped by disableCheck, refused before 0.4.0", async () => {
    const { rt, calls } = fakeRuntime();
    const prev = { cniVersion: "1.1.0", ips: [] };
    await rt.check(list, att, prev);
    expect(calls.map((c) => `${c.type}:${c.command}`)).toEqual(["a:CHECK", "b:CHECK", "c:CHECK"]);
    await rt.check(parseNetworkConfig({ ...list, disableCheck: true }), att, prev);
    expect(calls).toHaveLength(3);
    const l031 = parseNetworkConfig({ cniVersion: "0.3.1", name: "n", plugins: [{ type: "a" }] });
    await expect(rt.check(l031, att, prev)).rejects.toMatchObject({ code: 1 });
    await expect(rt.check(list, att, undefined)).rejects.toMatchObject({ code: 7 });
  });

  it("ADD stops at the first failing plugin and reports its error", async () => {
    const { rt, calls } = fakeRuntime({
      "b:ADD": { code: 1, stdout: JSON.stringify({ cniVersion: "1.1.0", code: 11, msg: "busy" }) },
    });
    await expect(rt.add(list, att)).rejects.toMatchObject({ code: 11, message: "busy" });
    expect(calls.map((c) => c.type)).toEqual(["a", "b"]);
  });

  it("GC runs every plugin, continues past errors and reports them all", async () => {
    const { rt, calls } = fakeRuntime({
      "a:GC": { code: 1, stdout: JSON.stringify({ code: 5, msg: "io" }) },
      "c:GC": { code: 2, stdout: "", stderr: "segfault" },
    });
    const valid = [{ containerID: "c1", ifname: "eth0" }];
    const err = await rt.gc(list, valid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).details).toMatch(/5: io.*999: plugin \/opt\/cni\/c failed/);
    expect(calls.map((c) => c.type)).toEqual(["a", "b", "c"]);
    expect(calls[1]?.config["cni.dev/valid-attachments"]).toEqual(valid);
    expect(calls[1]?.env).toEqual({ CNI_COMMAND: "GC", CNI_PATH: "/opt/cni" });
  });

  it("GC and STATUS are no-ops before 1.1.0 and GC when disableGC", async () => {
    const { rt, calls } = fakeRuntime();
    const l100 = parseNetworkConfig({ ...list, cniVersion: "1.0.0" });
    await rt.gc(l100, []);
    await rt.status(l100);
    await rt.gc(parseNetworkConfig({ ...list, disableGC: true }), []);
    expect(calls).toEqual([]);
    await rt.status(list);
    expect(calls.map((c) => `${c.type}:${c.command}`)).toEqual([
      "a:STATUS",
      "b:STATUS",
      "c:STATUS",
    ]);
  });

  it("STATUS reports the first plugin's error", async () => {
    const { rt } = fakeRuntime({
      "b:STATUS": { code: 1, stdout: JSON.stringify({ code: 50, msg: "no room" }) },
    });
    await expect(rt.status(list)).rejects.toMatchObject({ code: 50 });
  });

  it("uses the highest version both the list and the runtime support", async () => {
    const { calls } = fakeRuntime();
    const rt = new CniRuntime({
      path: ["/p"],
      supportedVersions: ["0.4.0", "1.0.0"],
      exec: async (req) => {
        calls.push({ type: "", command: "", config: JSON.parse(req.stdin), env: req.env });
        return { exitCode: 0, stdout: JSON.stringify({ cniVersion: "1.0.0" }), stderr: "" };
      },
      locate: (t) => t,
    });
    const l = parseNetworkConfig({ ...list, cniVersions: ["0.4.0", "1.0.0", "1.1.0"] });
    await rt.add(l, att);
    expect(calls[0]?.config.cniVersion).toBe("1.0.0");
  });
});

describe("invokePlugin", () => {
  const run = (exitCode: number, stdout: string, stderr = "") =>
    invokePlugin(async () => ({ exitCode, stdout, stderr }), {
      pluginPath: "/p/x",
      env: {},
      stdin: "",
    });

  it("parses success output and treats empty output as no result", async () => {
    expect(await run(0, '{"a":1}\n')).toEqual({ a: 1 });
    expect(await run(0, "")).toBeUndefined();
    await expect(run(0, "nope")).rejects.toMatchObject({ code: 999 });
  });

  it("turns failure output into the plugin's CniError, or 999 with stderr", async () => {
    await expect(
      run(1, '{"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"}'),
    ).rejects.toMatchObject({
      code: 7,
      message: "bad",
      details: "why",
    });
    await expect(run(1, "", "panic: x")).rejects.toMatchObject({ code: 999, details: "panic: x" });
    await expect(run(1, "[]")).rejects.toMatchObject({ code: 999 });
  });
});
