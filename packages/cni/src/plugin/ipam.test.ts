import { describe, expect, it } from "vitest";
import type { ExecRequest } from "../runtime/invoke.js";
import { DelegatedIpam } from "./ipam.js";

/** A fake IPAM plugin that speaks only up to 1.0.0, like Debian's host-local 1.1.1. */
function oldIpam() {
  const calls: { command: string; version?: string; prev?: unknown }[] = [];
  const exec = async (req: ExecRequest) => {
    const command = req.env.CNI_COMMAND!;
    if (command === "VERSION") {
      return {
        exitCode: 0,
        stdout: JSON.stringify({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] }),
        stderr: "",
      };
    }
    const cfg = JSON.parse(req.stdin) as { cniVersion: string; prevResult?: unknown };
    calls.push({ command, version: cfg.cniVersion, prev: cfg.prevResult });
    if (cfg.cniVersion !== "1.0.0" && cfg.cniVersion !== "0.4.0") {
      return {
        exitCode: 1,
        stdout: JSON.stringify({ code: 1, msg: "incompatible CNI versions" }),
        stderr: "",
      };
    }
    if (command === "ADD") {
      return {
        exitCode: 0,
        stdout: JSON.stringify({ cniVersion: cfg.cniVersion, ips: [{ address: "192.0.2.9/24" }] }),
        stderr: "",
      };
    }
    return { exitCode: 0, stdout: "", stderr: "" };
  };
  return { calls, ipam: new DelegatedIpam("old-ipam", exec, (t, p) => `${p[0]}/${t}`) };
}

const call = (cmd: string, extra: object = {}) => ({
  env: { CNI_COMMAND: cmd, CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0", CNI_NETNS: "/n" },
  stdin: JSON.stringify({
    cniVersion: "1.1.0",
    name: "n",
    type: "tortie",
    ipam: { type: "old-ipam" },
    ...extra,
  }),
  path: ["/bin"],
});

describe("DelegatedIpam", () => {
  it("repeats a refused request in the highest version both sides know, and labels the result with ours", async () => {
    const { ipam, calls } = oldIpam();
    const r = await ipam.add(call("ADD"));
    expect(r).toEqual({ cniVersion: "1.1.0", ips: [{ address: "192.0.2.9/24" }] });
    expect(calls.map((c) => `${c.command}@${c.version}`)).toEqual(["ADD@1.1.0", "ADD@1.0.0"]);
  });

  it("converts prevResult for CHECK when it downgrades", async () => {
    const { ipam, calls } = oldIpam();
    const prevResult = {
      cniVersion: "1.1.0",
      ips: [{ address: "192.0.2.9/32" }],
      routes: [{ dst: "0.0.0.0/0", mtu: 1400 }],
    };
    await ipam.check(call("CHECK", { prevResult }));
    expect(calls[1]?.prev).toEqual({
      cniVersion: "1.0.0",
      ips: [{ address: "192.0.2.9/32" }],
      routes: [{ dst: "0.0.0.0/0" }],
    });
  });

  it("skips GC and STATUS for a delegate that predates them, and passes other errors through", async () => {
    const { ipam, calls } = oldIpam();
    await ipam.gc(call("GC"));
    await ipam.status(call("STATUS"));
    expect(calls).toEqual([]);
    const failing = new DelegatedIpam(
      "x",
      async () => ({ exitCode: 1, stdout: JSON.stringify({ code: 11, msg: "busy" }), stderr: "" }),
      (t) => `/opt/${t}`,
    );
    await expect(failing.add(call("ADD"))).rejects.toMatchObject({ code: 11 });
  });
});
