// The strict configuration through the installed plugin process: a runtime
// runs the bundled `tortie` (shim + Node) inside a testbed "node" namespace
// with Debian's host-local as IPAM. `nodeName` for `nodename` used to be
// stripped silently (the pod's addresses then went to the host name's node);
// now ADD fails with CNI code 7 naming the key and leaves nothing behind.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Host, requirePrereqs, type Topology, useTestbed } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locatePlugin, spawnExecutor } from "../runtime/exec.js";
import { CniRuntime } from "../runtime/runtime.js";
import { type NetworkConfigList, parseNetworkConfig } from "../spec/config.js";
import { CniError } from "../spec/errors.js";
import { buildPluginForTest } from "./testing.js";

const skip = requirePrereqs(["root", "netns", "cni-plugins"]);

describe.skipIf(skip)("tortie plugin configuration, through the plugin process", () => {
  const tb = useTestbed();
  let topo: Topology;
  let node: Host;
  let rt: CniRuntime;
  let bin: Awaited<ReturnType<typeof buildPluginForTest>>;
  let work: string;
  const tag = `tc${process.pid.toString(36)}`;

  beforeAll(async () => {
    bin = await buildPluginForTest();
    topo = await tb.topology({
      hosts: ["node", "cl", "pod"],
      links: [
        {
          a: { host: "node", ifname: "uplink", addrs: ["198.51.100.1/30"] },
          b: { host: "cl", ifname: "eth0", addrs: ["198.51.100.2/30"] },
        },
      ],
      routes: [{ host: "node", to: "default", via: "198.51.100.2" }],
    });
    node = topo.host("node");
    work = mkdtempSync(join(tmpdir(), "tortie-config-"));
    rt = new CniRuntime({
      path: [bin.dir, "/usr/lib/cni"],
      exec: spawnExecutor({
        prefix: ["ip", "netns", "exec", node.netns],
        baseEnv: { ...process.env, TORTIE_CNI_HELPER: "off" },
      }),
      locate: locatePlugin,
    });
  }, 120_000);
  afterAll(() => {
    bin?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const list = (name: string, plugin: Record<string, unknown>): NetworkConfigList =>
    parseNetworkConfig({
      cniVersion: "1.1.0",
      name,
      plugins: [
        {
          type: "tortie",
          dataDir: join(work, "state"),
          ipam: {
            type: "host-local",
            dataDir: join(work, "ipam"),
            ranges: [[{ subnet: "192.0.2.0/24" }]],
          },
          ...plugin,
        },
      ],
    });
  const reservations = (name: string) => {
    const d = join(work, "ipam", name);
    return existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f)) : [];
  };
  const caliLinks = async () =>
    (await node.ipJson<{ ifname: string }[]>(["link", "show"]))
      .map((l) => l.ifname)
      .filter((n) => n.startsWith("cali"));
  const att = (id: string) => ({
    containerId: id,
    netns: topo.host("pod").nsPath,
    ifname: "eth0",
  });

  it("nodeName instead of nodename: ADD fails with code 7 naming the key, nothing is created", async () => {
    const bad = list(`${tag}-bad`, { nodeName: "node1" });
    const err = await rt.add(bad, att("c-bad")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(7);
    expect((err as CniError).message).toBe(
      'invalid tortie configuration: unknown key "nodeName" at nodeName (did you mean "nodename"?)',
    );
    expect(await caliLinks()).toEqual([]);
    expect(reservations(`${tag}-bad`)).toEqual([]);
    const pod = await topo.host("pod").ipJson<{ ifname: string }[]>(["link", "show"]);
    expect(pod.map((l) => l.ifname)).not.toContain("eth0");
  }, 60_000);

  it("the same network with nodename and spec keys (capabilities, args) attaches", async () => {
    const good = list(`${tag}-good`, {
      nodename: "node1",
      capabilities: { ips: true },
      args: { cni: { labels: [] } },
      "cni.dev/any-convention": true,
    });
    const out = await rt.add(good, att("c-good"));
    expect(out.result.ips?.[0]?.address).toMatch(/^192\.0\.2\.\d+\/32$/);
    expect(await caliLinks()).toHaveLength(1);
    expect(reservations(`${tag}-good`)).toHaveLength(1);
    await rt.del(good, att("c-good"), out.json);
    expect(await caliLinks()).toEqual([]);
    expect(reservations(`${tag}-good`)).toEqual([]);
  }, 60_000);
});
