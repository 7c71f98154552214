// `tortie-cni` as a user runs it, inside a testbed "node" namespace, with
// Debian's ptp + host-local + portmap.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ExecError,
  exec,
  type Host,
  requirePrereqs,
  type Topology,
  useTestbed,
} from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopHelpers } from "../plugin/testing.js";
import { defaultContainerId } from "./args.js";

const skip = requirePrereqs(["root", "netns", "cni-plugins"]);
const entry = fileURLToPath(new URL("./tortie-cni.ts", import.meta.url));

describe.skipIf(skip)("tortie-cni", () => {
  const tb = useTestbed();
  let topo: Topology;
  let node: Host;
  let dir: string;
  const name = `cli${process.pid.toString(36)}`;

  beforeAll(async () => {
    topo = await tb.topology({ hosts: ["node", "pod"] });
    node = topo.host("node");
    dir = mkdtempSync(join(tmpdir(), "tortie-cni-cli-"));
    writeFileSync(
      join(dir, "10-pods.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name,
        plugins: [
          {
            type: "ptp",
            ipam: {
              type: "host-local",
              dataDir: join(dir, "ipam"),
              ranges: [[{ subnet: "198.51.100.0/24", gateway: "198.51.100.1" }]],
              routes: [{ dst: "0.0.0.0/0", gw: "198.51.100.1" }],
            },
          },
          { type: "portmap", capabilities: { portMappings: true } },
        ],
      }),
    );
  });
  afterAll(async () => {
    // the gc test's resident helper rewrites its files while alive
    if (dir) await stopHelpers(join(dir, "gc-run"));
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], env: Record<string, string> = {}) =>
    exec(["ip", "netns", "exec", node.netns, process.execPath, "--import", "tsx", entry, ...args], {
      env: {
        ...process.env,
        NETCONFPATH: dir,
        CNI_PATH: "/usr/lib/cni",
        CNI_CACHE_DIR: join(dir, "cache"),
        ...env,
      },
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error("expected failure");
      },
      (e: ExecError) => e,
    );

  it("adds, checks, garbage-collects and deletes a pod by network name", async () => {
    const caps = {
      CAP_ARGS: JSON.stringify({
        portMappings: [{ hostPort: 9090, containerPort: 80, protocol: "tcp" }],
      }),
    };
    const { stdout } = await cli(["add", name, topo.host("pod").netns], caps);
    const result = JSON.parse(stdout) as { ips: { address: string }[] };
    expect(result.ips[0]?.address).toMatch(/^198\.51\.100\.\d+\/24$/);
    await topo.host("pod").exec(["ping", "-c1", "-W2", "198.51.100.1"]);
    expect((await node.exec(["iptables-save", "-t", "nat"])).stdout).toContain("dport 9090");
    // CHECK gets the cached capability arguments; Debian's portmap 1.1.1 then
    // always fails CHECK (REAL-PEERS.md), and the error arrives as the spec's JSON
    const c = await failure(cli(["check", name, topo.host("pod").netns]));
    expect(c.code).toBe(1);
    expect(JSON.parse(c.stderr)).toMatchObject({
      code: 999,
      msg: expect.stringMatching(/ipv6 dnat/),
    });
    await cli(["gc", name]); // 1.0.0 list: GC is a no-op
    await cli(["status", name]);
    await cli(["del", name, topo.host("pod").netns]);
    expect((await node.exec(["iptables-save", "-t", "nat"])).stdout).not.toContain("dport 9090");
    expect(await topo.host("pod").ipJson(["link", "show"])).toHaveLength(1);
    await cli(["del", name, topo.host("pod").netns]); // idempotent
    // after DEL the cached result is gone: CHECK has no prevResult (code 7, as JSON)
    const e = await failure(cli(["check", name, topo.host("pod").netns]));
    expect(e.code).toBe(1);
    expect(JSON.parse(e.stderr)).toMatchObject({
      code: 7,
      msg: expect.stringMatching(/result of ADD/),
    });
  });

  it("garbage-collects with the tortie plugin: attachments missing from the cache are released", async () => {
    const { buildPluginForTest } = await import("../plugin/testing.js");
    const bin = await buildPluginForTest();
    tb.defer(() => bin.remove());
    const gcTopo = await tb.topology({ hosts: ["gnode", "ga", "gb"] });
    const gnode = gcTopo.host("gnode");
    const net = `${name}gc`;
    const conf = join(dir, "gc.conflist");
    writeFileSync(
      conf,
      JSON.stringify({
        cniVersion: "1.1.0",
        name: net,
        plugins: [
          {
            type: "tortie",
            dataDir: join(dir, "tortie-state"),
            ipam: { type: "host-local", dataDir: join(dir, "ipam"), subnet: "203.0.113.0/24" },
          },
        ],
      }),
    );
    const run = (args: string[]) =>
      exec(
        ["ip", "netns", "exec", gnode.netns, process.execPath, "--import", "tsx", entry, ...args],
        {
          env: {
            ...process.env,
            CNI_PATH: `${bin.dir}:/usr/lib/cni`,
            CNI_CACHE_DIR: join(dir, "gc-cache"),
            TORTIE_CNI_RUN_DIR: join(dir, "gc-run"),
          },
        },
      );
    await run(["add", conf, gcTopo.host("ga").nsPath]);
    await run(["add", conf, gcTopo.host("gb").nsPath]);
    await run(["status", conf]);
    const reserved = () => readdirSync(join(dir, "ipam", net)).filter((f) => /^\d/.test(f));
    expect(reserved()).toHaveLength(2);
    // the runtime forgets gb: GC with the cached attachments as the valid ones releases it
    rmSync(
      join(
        dir,
        "gc-cache",
        "results",
        `${net}-${defaultContainerId(gcTopo.host("gb").nsPath)}-eth0`,
      ),
    );
    await run(["gc", conf]);
    expect(reserved()).toHaveLength(1);
    expect(await gcTopo.host("gb").ipJson(["link", "show"])).toHaveLength(1);
    expect(await gcTopo.host("ga").ipJson(["link", "show"])).toHaveLength(2);
    await run(["del", conf, gcTopo.host("ga").nsPath]);
    expect(reserved()).toHaveLength(0);
  });

  it("takes a configuration file path and prints VERSION", async () => {
    const { stdout } = await cli(["version", "ptp"]);
    expect(JSON.parse(stdout).supportedVersions).toContain("1.0.0");
    const e = await failure(cli(["add", join(dir, "missing.conflist"), "pod"]));
    expect(JSON.parse(e.stderr)).toMatchObject({ code: 5 });
  });

  it("exits 2 with usage on a bad command line, 1 with error JSON for an unknown network", async () => {
    const u = await failure(cli(["frob"]));
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/usage: tortie-cni/);
    const n = await failure(cli(["status", "nosuchnet"]));
    expect(n.code).toBe(1);
    expect(JSON.parse(n.stderr)).toMatchObject({
      code: 7,
      msg: expect.stringMatching(/nosuchnet/),
    });
  });
});
