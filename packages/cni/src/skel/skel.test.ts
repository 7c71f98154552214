import { describe, expect, it } from "vitest";
import { CniError, ErrorCode } from "../spec/errors.js";
import type { Result } from "../spec/result.js";
import { type AttachmentRequest, type CniPlugin, type GcRequest, skel } from "./skel.js";

const result: Result = {
  cniVersion: "1.1.0",
  interfaces: [{ name: "eth0", sandbox: "/var/run/netns/p", mtu: 1450 }],
  ips: [{ address: "192.0.2.7/32", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "169.254.1.1", scope: 0 }],
};

function recorder(overrides: Partial<CniPlugin> = {}) {
  const calls: { verb: string; req: unknown }[] = [];
  const plugin: CniPlugin = {
    add: (req) => {
      calls.push({ verb: "add", req });
      return result;
    },
    del: (req) => {
      calls.push({ verb: "del", req });
    },
    check: (req) => {
      calls.push({ verb: "check", req });
    },
    status: (req) => {
      calls.push({ verb: "status", req });
    },
    gc: (req) => {
      calls.push({ verb: "gc", req });
    },
    ...overrides,
  };
  return { plugin, calls };
}

const env = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/p",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/usr/lib/cni",
  CNI_ARGS: "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod",
};
const conf = (v = "1.1.0", extra: object = {}) =>
  JSON.stringify({ cniVersion: v, name: "net", type: "tortie", ...extra });

async function run(
  plugin: CniPlugin,
  e: Record<string, string | undefined>,
  stdin: string | (() => Promise<string>),
) {
  let out = "";
  let err = "";
  const code = await skel(plugin, {
    env: e,
    stdin,
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out: out === "" ? undefined : JSON.parse(out), err };
}

describe("skel", () => {
  it("ADD calls the plugin with the parsed request and prints the result in the config's version", async () => {
    const { plugin, calls } = recorder();
    const r = await run(plugin, env, conf("0.4.0"));
    expect(r.code).toBe(0);
    expect(r.out).toEqual({
      cniVersion: "0.4.0",
      interfaces: [{ name: "eth0", sandbox: "/var/run/netns/p" }],
      ips: [{ version: "4", address: "192.0.2.7/32", interface: 0 }],
      routes: [{ dst: "0.0.0.0/0", gw: "169.254.1.1" }],
    });
    const req = calls[0]?.req as AttachmentRequest;
    expect(req).toMatchObject({
      command: "ADD",
      containerId: "c1",
      netns: "/var/run/netns/p",
      ifname: "eth0",
      args: { K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "pod" },
      path: ["/usr/lib/cni"],
    });
    expect(req.config.type).toBe("tortie");
    expect(req.stdin).toBe(conf("0.4.0"));
  });

  it("ADD in 1.1.0 keeps the 1.1.0 fields", async () => {
    const r = await run(recorder().plugin, env, conf());
    expect(r.out).toEqual(result);
  });

  it("DEL, CHECK, STATUS and GC print nothing on success", async () => {
    const { plugin, calls } = recorder();
    for (const cmd of ["DEL", "CHECK", "STATUS", "GC"]) {
      const extra =
        cmd === "GC"
          ? { "cni.dev/valid-attachments": [{ containerID: "c9", ifname: "eth0" }] }
          : {};
      const r = await run(plugin, { ...env, CNI_COMMAND: cmd }, conf("1.1.0", extra));
      expect(r).toMatchObject({ code: 0, out: undefined });
    }
    expect(calls.map((c) => c.verb)).toEqual(["del", "check", "status", "gc"]);
    expect((calls[3]!.req as GcRequest).validAttachments).toEqual([
      { containerID: "c9", ifname: "eth0" },
    ]);
  });

  it("DEL accepts a missing netns", async () => {
    const { plugin, calls } = recorder();
    const r = await run(plugin, { ...env, CNI_COMMAND: "DEL", CNI_NETNS: undefined }, conf());
    expect(r.code).toBe(0);
    expect((calls[0]!.req as AttachmentRequest).netns).toBe("");
  });

  it("VERSION answers with the input's version and the supported list, even with empty stdin", async () => {
    const p = { ...recorder().plugin, supportedVersions: ["1.1.0", "0.4.0", "1.0.0"] };
    expect((await run(p, { CNI_COMMAND: "VERSION" }, "")).out).toEqual({
      cniVersion: "1.1.0",
      supportedVersions: ["0.4.0", "1.0.0", "1.1.0"],
    });
    expect(
      (await run(p, { CNI_COMMAND: "VERSION" }, '{"cniVersion":"0.4.0"}')).out.cniVersion,
    ).toBe("0.4.0");
  });

  it("a plugin with no STATUS or GC handler reports ready and succeeds", async () => {
    const p: CniPlugin = { add: () => result, del: () => {}, check: () => {} };
    expect((await run(p, { CNI_COMMAND: "STATUS" }, conf())).code).toBe(0);
    expect((await run(p, { CNI_COMMAND: "GC", CNI_PATH: "/x" }, conf())).code).toBe(0);
  });

  const bad: [string, Record<string, string | undefined>, string, number, RegExp][] = [
    ["missing CNI_COMMAND", { ...env, CNI_COMMAND: undefined }, conf(), 4, /CNI_COMMAND/],
    ["unknown CNI_COMMAND", { ...env, CNI_COMMAND: "FROB" }, conf(), 4, /unknown CNI_COMMAND/],
    ["missing container id", { ...env, CNI_CONTAINERID: "" }, conf(), 4, /CNI_CONTAINERID/],
    ["missing netns", { ...env, CNI_NETNS: undefined }, conf(), 4, /CNI_NETNS/],
    [
      "interface name too long",
      { ...env, CNI_IFNAME: "eth0123456789abc" },
      conf(),
      4,
      /CNI_IFNAME/,
    ],
    ["malformed CNI_ARGS", { ...env, CNI_ARGS: "A=1;;B" }, conf(), 4, /CNI_ARGS/],
    ["empty stdin", env, "", 6, /empty/],
    ["invalid JSON", env, "{cniVersion:", 6, /decode/],
    ["unsupported cniVersion", env, conf("0.2.0"), 1, /incompatible/],
    ["missing cniVersion", env, JSON.stringify({ name: "n", type: "t" }), 1, /incompatible/],
    ["missing name", env, JSON.stringify({ cniVersion: "1.0.0", type: "t" }), 7, /invalid/],
    ["missing type", env, JSON.stringify({ cniVersion: "1.0.0", name: "n" }), 7, /invalid/],
    ["CHECK on 0.3.1", { ...env, CNI_COMMAND: "CHECK" }, conf("0.3.1"), 1, /does not allow CHECK/],
    ["GC on 1.0.0", { ...env, CNI_COMMAND: "GC" }, conf("1.0.0"), 1, /does not allow GC/],
    ["STATUS on 1.0.0", { CNI_COMMAND: "STATUS" }, conf("1.0.0"), 1, /does not allow STATUS/],
  ];
  it.each(bad)(
    "%s fails with the spec's code and never calls the plugin",
    async (_n, e, stdin, c, msg) => {
      const { plugin, calls } = recorder();
      const r = await run(plugin, e, stdin);
      expect(r.code).toBe(1);
      expect(r.out.code).toBe(c);
      expect(r.out.msg).toMatch(msg);
      expect(typeof r.out.cniVersion).toBe("string");
      expect(calls).toEqual([]);
      expect(r.err).not.toBe("");
    },
  );

  it("prints a plugin's CniError with its code, details and the config's version", async () => {
    const { plugin } = recorder({
      add: () => {
        throw new CniError(ErrorCode.TryAgainLater, "datastore busy", "etcd timeout");
      },
    });
    const r = await run(plugin, env, conf("1.0.0"));
    expect(r).toMatchObject({
      code: 1,
      out: { cniVersion: "1.0.0", code: 11, msg: "datastore busy", details: "etcd timeout" },
    });
  });

  it("maps an unexpected exception to code 999 and an unreadable stdin to code 5", async () => {
    const { plugin } = recorder({
      del: () => {
        throw new TypeError("oops");
      },
    });
    expect((await run(plugin, { ...env, CNI_COMMAND: "DEL" }, conf())).out).toMatchObject({
      code: 999,
      msg: "oops",
    });
    const r = await run(plugin, env, () => Promise.reject(new Error("EIO")));
    expect(r.out).toMatchObject({ code: 5, details: "EIO" });
  });

  it("respects the plugin's supported versions", async () => {
    const p = { ...recorder().plugin, supportedVersions: ["1.0.0"] };
    expect((await run(p, env, conf("1.1.0"))).out.code).toBe(1);
    expect((await run(p, env, conf("1.0.0"))).code).toBe(0);
  });
});
