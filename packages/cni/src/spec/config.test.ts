import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  deriveRequestConfig,
  listVersion,
  parseJsonText,
  parseNetworkConfig,
  parsePluginConfig,
} from "./config.js";
import { CniError } from "./errors.js";

const code = (c: number) => expect.objectContaining({ code: c });

const dbnet = {
  cniVersion: "1.1.0",
  cniVersions: ["0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  name: "dbnet",
  plugins: [
    {
      type: "bridge",
      bridge: "cni0",
      keyA: ["some more", "plugin specific", "configuration"],
      ipam: { type: "host-local", subnet: "192.0.2.0/24", routes: [{ dst: "0.0.0.0/0" }] },
      dns: { nameservers: ["192.0.2.1"] },
    },
    { type: "tuning", capabilities: { mac: true }, sysctl: { "net.core.somaxconn": "500" } },
    { type: "portmap", capabilities: { portMappings: true } },
  ],
};

describe("network configuration lists", () => {
  it("reads the spec's example", () => {
    const l = parseNetworkConfig(JSON.stringify(dbnet));
    expect(l.name).toBe("dbnet");
    expect(l.plugins.map((p) => p.type)).toEqual(["bridge", "tuning", "portmap"]);
    expect(l.plugins[0]?.keyA).toEqual(dbnet.plugins[0]?.keyA);
    expect(l.disableCheck).toBe(false);
    expect(listVersion(l)).toBe("1.1.0");
    expect(listVersion(l, ["0.4.0", "1.0.0"])).toBe("1.0.0");
  });

  it("turns a single plugin configuration into a one-plugin list", () => {
    const l = parseNetworkConfig({ cniVersion: "0.4.0", name: "n", type: "ptp", ipMasq: true });
    expect(l).toMatchObject({
      cniVersion: "0.4.0",
      name: "n",
      plugins: [{ type: "ptp", ipMasq: true }],
    });
  });

  it("rejects bad lists: code 6 for JSON, 7 for content, 1 for versions", () => {
    expect(() => parseNetworkConfig("")).toThrow(code(6));
    expect(() => parseNetworkConfig("{")).toThrow(code(6));
    expect(() => parseNetworkConfig("[1]")).toThrow(code(6));
    expect(() => parseNetworkConfig({ ...dbnet, name: undefined })).toThrow(code(7));
    expect(() => parseNetworkConfig({ ...dbnet, name: "-bad" })).toThrow(code(7));
    expect(() => parseNetworkConfig({ ...dbnet, plugins: [] })).toThrow(code(7));
    expect(() => parseNetworkConfig({ ...dbnet, plugins: [{ bridge: "x" }] })).toThrow(
      /plugins.0.type/,
    );
    expect(() => parseNetworkConfig({ ...dbnet, plugins: [{ type: "../x" }] })).toThrow(code(7));
    const l = parseNetworkConfig({ ...dbnet, cniVersion: "9.0.0", cniVersions: undefined });
    expect(() => listVersion(l)).toThrow(code(1));
  });
});

describe("plugin configuration", () => {
  it("reads the well-known keys and keeps unknown ones", () => {
    const c = parsePluginConfig(
      JSON.stringify({
        cniVersion: "1.0.0",
        name: "n",
        type: "tortie",
        mtu: 1400,
        ipam: { type: "host-local", ranges: [] },
        runtimeConfig: { portMappings: [] },
        args: { cni: { ips: ["192.0.2.5"] } },
        prevResult: { ips: [{ address: "192.0.2.5/32" }] },
      }),
    );
    expect(c.cniVersion).toBe("1.0.0");
    expect(c.ipam?.type).toBe("host-local");
    expect(c.raw.mtu).toBe(1400);
    expect(c.runtimeConfig).toEqual({ portMappings: [] });
    expect(c.prevResult?.ips?.[0]?.address).toBe("192.0.2.5/32");
  });

  it("defaults a missing cniVersion to 0.1.0", () => {
    expect(parsePluginConfig({ name: "n", type: "t" }).cniVersion).toBe("0.1.0");
  });

  it("rejects missing name or type, and a bad prevResult, with code 7", () => {
    expect(() => parsePluginConfig({ cniVersion: "1.0.0", type: "t" })).toThrow(/name/);
    expect(() => parsePluginConfig({ cniVersion: "1.0.0", name: "n" })).toThrow(code(7));
    expect(() =>
      parsePluginConfig({ cniVersion: "1.0.0", name: "n", type: "t", ipam: {} }),
    ).toThrow(code(7));
    expect(() =>
      parsePluginConfig({ cniVersion: "1.0.0", name: "n", type: "t", prevResult: { ips: [1] } }),
    ).toThrow(code(7));
  });

  it("reads GC's valid attachments", () => {
    const c = parsePluginConfig({
      cniVersion: "1.1.0",
      name: "n",
      type: "t",
      "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
    });
    expect(c.validAttachments).toEqual([{ containerID: "c1", ifname: "eth0" }]);
  });

  it("never throws anything but CniError on arbitrary JSON (fuzz)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        for (const f of [parsePluginConfig, parseNetworkConfig, parseJsonText]) {
          try {
            f(text);
          } catch (e) {
            expect(e).toBeInstanceOf(CniError);
          }
        }
      }),
    );
  });
});

describe("deriving request configuration (SPEC.md section 3)", () => {
  const list = parseNetworkConfig(dbnet);
  const caps = {
    mac: "02:00:00:00:00:09",
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    bandwidth: {},
  };

  it("inserts cniVersion and name, passes plugin keys through, drops capabilities", () => {
    const c = deriveRequestConfig(list, list.plugins[0]!, {
      cniVersion: "1.0.0",
      capabilityArgs: caps,
    });
    expect(c).toEqual({ cniVersion: "1.0.0", name: "dbnet", ...dbnet.plugins[0] });
    expect(c).not.toHaveProperty("runtimeConfig");
    expect(c).not.toHaveProperty("prevResult");
  });

  it("puts into runtimeConfig only capabilities both declared and offered", () => {
    const t = deriveRequestConfig(list, list.plugins[1]!, {
      cniVersion: "1.1.0",
      capabilityArgs: caps,
      prevResult: { cniVersion: "1.1.0" },
    });
    expect(t.runtimeConfig).toEqual({ mac: "02:00:00:00:00:09" });
    expect(t).not.toHaveProperty("capabilities");
    expect(t.prevResult).toEqual({ cniVersion: "1.1.0" });
    const p = deriveRequestConfig(list, list.plugins[2]!, { cniVersion: "1.1.0" });
    expect(p).not.toHaveProperty("runtimeConfig");
  });

  it("for GC adds valid attachments and drops reserved keys", () => {
    const plugin = { ...list.plugins[2]!, "cni.dev/other": 1, runtimeConfig: { x: 1 } };
    const g = deriveRequestConfig(list, plugin, {
      cniVersion: "1.1.0",
      validAttachments: [{ containerID: "c", ifname: "eth0" }],
    });
    expect(g).toEqual({
      cniVersion: "1.1.0",
      name: "dbnet",
      type: "portmap",
      "cni.dev/valid-attachments": [{ containerID: "c", ifname: "eth0" }],
    });
  });
});
