// The runtime against Debian's reference plugins (containernetworking-plugins
// 1.1.1 in /usr/lib/cni), every plugin running inside a testbed "node"
// namespace and every pod in its own testbed namespace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exec, type Host, requirePrereqs, type Topology, useTestbed } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNetworkConfig } from "../spec/config.js";
import { createRuntime } from "./exec.js";
import type { AttachmentParams, CniRuntime } from "./runtime.js";

const skip = requirePrereqs(["root", "netns", "cni-plugins", "iptables"]);

describe.skipIf(skip)("CniRuntime with the reference plugins", () => {
  const tb = useTestbed();
  let topo: Topology;
  let node: Host;
  let rt: CniRuntime;
  let dataDir: string;
  const tag = `t${process.pid.toString(36)}`;

  beforeAll(async () => {
    topo = await tb.topology({
      hosts: ["node", "p1", "p2", "p3", "cl"],
      links: [
        {
          a: { host: "node", ifname: "uplink", addrs: ["198.51.100.1/30"] },
          b: { host: "cl", ifname: "eth0", addrs: ["198.51.100.2/30"] },
        },
      ],
      routes: [{ host: "cl", to: "192.0.2.0/24", via: "198.51.100.1" }],
    });
    node = topo.host("node");
    rt = createRuntime(["/usr/lib/cni"], { prefix: ["ip", "netns", "exec", node.netns] });
    dataDir = mkdtempSync(join(tmpdir(), "tortie-cni-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const ptp = (name: string, extra: object[] = []) =>
    parseNetworkConfig({
      cniVersion: "1.0.0",
      name: `${tag}-${name}`,
      plugins: [
        {
          type: "ptp",
          ipam: {
            type: "host-local",
            dataDir,
            ranges: [[{ subnet: "192.0.2.0/24", gateway: "192.0.2.1" }]],
            routes: [{ dst: "0.0.0.0/0", gw: "192.0.2.1" }],
          },
        },
        ...extra,
      ],
    });
  const att = (pod: string, id: string): AttachmentParams => ({
    containerId: id,
    netns: topo.host(pod).nsPath,
    ifname: "eth0",
  });
  const addrsIn = async (h: Host, dev: string) =>
    (await h.ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(["addr", "show", dev]))
      .flatMap((l) => l.addr_info)
      .map((a) => `${a.local}/${a.prefixlen}`);

  it("ptp + host-local: ADD, CHECK, DEL twice, and CHECK fails once deleted", async () => {
    const list = ptp("a");
    const a = att("p1", "c-ptp-1");
    const out = await rt.add(list, a);
    expect(out.cniVersion).toBe("1.0.0");
    const ip = out.result.ips?.[0]?.address;
    expect(ip).toMatch(/^192\.0\.2\.\d+\/24$/);
    expect(out.result.interfaces?.some((i) => i.sandbox === a.netns && i.name === "eth0")).toBe(
      true,
    );
    expect(await addrsIn(topo.host("p1"), "eth0")).toContain(ip);
    await topo.host("p1").exec(["ping", "-c1", "-W2", "192.0.2.1"]);
    await rt.check(list, a, out.json);
    await rt.del(list, a, out.json);
    await rt.del(list, a, out.json);
    expect(await topo.host("p1").ipJson(["link", "show"])).toHaveLength(1); // lo only
    await expect(rt.check(list, a, out.json)).rejects.toMatchObject({ code: expect.any(Number) });
  });

  it("ptp: two pods on one host ping each other and the host", async () => {
    const list = ptp("b");
    const r1 = await rt.add(list, att("p1", "c-ptp-b1"));
    const r2 = await rt.add(list, att("p2", "c-ptp-b2"));
    const ip2 = r2.result.ips![0]!.address.split("/")[0]!;
    expect(r1.result.ips![0]!.address).not.toBe(r2.result.ips![0]!.address);
    await topo.host("p1").exec(["ping", "-c1", "-W2", ip2]);
    await topo.host("p2").exec(["ping", "-c1", "-W2", "198.51.100.1"]);
    await rt.del(list, att("p1", "c-ptp-b1"), r1.json);
    await rt.del(list, att("p2", "c-ptp-b2"), r2.json);
  });

  it("bridge + host-local, dual-stack, with results converted between versions", async () => {
    const list = parseNetworkConfig({
      cniVersion: "0.4.0",
      name: `${tag}-br`,
      plugins: [
        {
          type: "bridge",
          bridge: `br${tag}`.slice(0, 15),
          isGateway: true,
          ipam: {
            type: "host-local",
            dataDir,
            ranges: [[{ subnet: "203.0.113.0/24" }], [{ subnet: "2001:db8:cafe::/64" }]],
          },
        },
      ],
    });
    const a = att("p3", "c-br-1");
    const out = await rt.add(list, a);
    const fams = out.result.ips?.map((i) => (i.address.includes(":") ? 6 : 4)).sort();
    expect(fams).toEqual([4, 6]);
    expect((out.json as { ips: { version: string }[] }).ips.map((i) => i.version).sort()).toEqual([
      "4",
      "6",
    ]);
    const inPod = await addrsIn(topo.host("p3"), "eth0");
    for (const i of out.result.ips!) expect(inPod).toContain(i.address);
    await topo.host("p3").exec(["ping", "-c1", "-W2", "203.0.113.1"]);
    await rt.check(list, a, out.json);
    // a 1.0.0 result of the same attachment is converted back to 0.4.0 for DEL
    const { convertResult } = await import("../spec/result.js");
    await rt.del(list, a, convertResult(out.json, "1.0.0"));
    expect(await topo.host("p3").ipJson(["link", "show"])).toHaveLength(1);
  });

  it("chains tuning, bandwidth and portmap after ptp; a host port reaches a server in the pod", async () => {
    const list = ptp("chain", [
      { type: "tuning", sysctl: { "net.core.somaxconn": "500" } },
      {
        type: "bandwidth",
        ingressRate: 100_000_000,
        ingressBurst: 1_000_000,
        egressRate: 100_000_000,
        egressBurst: 1_000_000,
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ]);
    const a = {
      ...att("p1", "c-chain-1"),
      capabilityArgs: { portMappings: [{ hostPort: 8081, containerPort: 8080, protocol: "tcp" }] },
    };
    const out = await rt.add(list, a);
    const p1 = topo.host("p1");
    expect((await p1.exec(["sysctl", "-n", "net.core.somaxconn"])).stdout.trim()).toBe("500");
    const hostVeth = out.result.interfaces?.find((i) => !i.sandbox)?.name;
    expect(hostVeth).toBeDefined();
    expect((await node.exec(["tc", "qdisc", "show", "dev", hostVeth!])).stdout).toMatch(/tbf/);
    expect((await node.exec(["iptables-save", "-t", "nat"])).stdout).toContain("dport 8081");

    const server = exec(
      [
        "ip",
        "netns",
        "exec",
        p1.netns,
        process.execPath,
        "-e",
        "const s=require('net').createServer(c=>c.end('hello from pod\\n')).listen(8080);setTimeout(()=>s.close(),15000)",
      ],
      { timeoutMs: 20_000 },
    ).catch(() => undefined);
    let reply = "";
    for (let i = 0; i < 50 && reply === ""; i++) {
      reply = (
        await topo
          .host("cl")
          .exec(["timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/198.51.100.1/8081 && cat <&3"])
          .catch(() => ({ stdout: "" }))
      ).stdout;
      if (reply === "") await new Promise((r) => setTimeout(r, 100));
    }
    expect(reply).toBe("hello from pod\n");

    await rt.del(list, a, out.json);
    expect((await node.exec(["iptables-save", "-t", "nat"])).stdout).not.toContain("dport 8081");
    expect((await node.ipJson<unknown[]>(["link", "show", "type", "ifb"])).length).toBe(0);
    await exec(["ip", "netns", "pids", p1.netns]).then(({ stdout }) => {
      for (const pid of stdout.split(/\s+/).filter(Boolean)) process.kill(Number(pid));
    });
    await server;
  });

  it("reports the plugins' own spec errors", async () => {
    const a = att("p2", "c-bad-1");
    // Debian's plugins know spec versions up to 1.0.0
    const v110 = parseNetworkConfig({ ...ptp("v"), cniVersion: "1.1.0" });
    await expect(rt.add(v110, a)).rejects.toMatchObject({ code: 1 });
    // a subnet host-local cannot use
    const bad = parseNetworkConfig({
      cniVersion: "1.0.0",
      name: `${tag}-bad`,
      plugins: [{ type: "ptp", ipam: { type: "host-local", dataDir, subnet: "not-a-subnet" } }],
    });
    await expect(rt.add(bad, a)).rejects.toMatchObject({
      message: expect.stringMatching(/subnet|invalid/i),
    });
    await expect(
      rt.add(
        parseNetworkConfig({ cniVersion: "1.0.0", name: "x", plugins: [{ type: "nosuch" }] }),
        a,
      ),
    ).rejects.toMatchObject({
      code: 999,
      message: expect.stringMatching(/failed to find plugin "nosuch"/),
    });
    expect(await topo.host("p2").ipJson(["link", "show"])).toHaveLength(1);
  });

  it("VERSION of a real plugin", async () => {
    const v = await rt.version("host-local");
    expect(v.supportedVersions).toContain("1.0.0");
  });
});
