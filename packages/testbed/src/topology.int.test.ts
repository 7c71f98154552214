import { spawnSync } from "node:child_process";
import { existsSync, readlinkSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { createTopology, type Topology } from "./topology.js";

describe("topology", () => {
  let topo: Topology | undefined;
  afterAll(() => topo?.destroy());

  it("builds hosts on a segment and a veth link, and pings across", async () => {
    topo = await createTopology({
      hosts: ["a", "b", "c"],
      segments: {
        lan: {
          members: { a: ["192.0.2.1/24", "2001:db8::1/64"], b: ["192.0.2.2/24", "2001:db8::2/64"] },
        },
      },
      links: [
        {
          a: { host: "b", addrs: ["198.51.100.1/30"] },
          b: { host: "c", addrs: ["198.51.100.2/30"] },
        },
      ],
      routes: [
        { host: "a", to: "198.51.100.0/30", via: "192.0.2.2" },
        { host: "c", to: "default", via: "198.51.100.1" },
      ],
    });
    const a = topo.host("a");
    expect(existsSync(a.nsPath)).toBe(true);
    // Every link is ready to carry packets when createTopology returns (its
    // carrier and queue come a moment after `link set up`: it waits for them).
    for (const ns of topo.namespaces()) {
      const links = JSON.parse(
        spawnSync("ip", ["-n", ns, "-j", "link", "show"], { encoding: "utf8" }).stdout,
      ) as { ifname: string; flags: string[]; operstate: string }[];
      for (const l of links.filter((x) => x.ifname !== "lo" && x.flags.includes("UP")))
        expect(`${ns} ${l.ifname} ${l.operstate}`).toBe(`${ns} ${l.ifname} UP`);
    }
    await a.exec(["ping", "-c1", "-W2", "198.51.100.2"]);
    await a.exec(["ping", "-6", "-c1", "-W2", "2001:db8::2"]);
    const addrs = await topo
      .host("c")
      .ipJson<{ ifname: string; addr_info: { local: string }[] }[]>(["addr", "show", "eth0"]);
    expect(addrs[0]?.addr_info.map((x) => x.local)).toContain("198.51.100.2");
  });

  it("runs a synchronous function inside a host with run()", async () => {
    const b = topo!.host("b");
    const inside = b.run(() => readlinkSync("/proc/thread-self/ns/net"));
    expect(inside).toBe(`net:[${statSync(b.nsPath).ino}]`);
    // and the thread is back in its own namespace afterwards
    expect(readlinkSync("/proc/thread-self/ns/net")).not.toBe(inside);
    // a child spawned inside inherits the namespace
    const out = b.run(() => spawnSync("ip", ["-o", "addr", "show", "eth0"], { encoding: "utf8" }));
    expect(out.stdout).toContain("192.0.2.2/24");
  });

  it("destroy removes every namespace", async () => {
    const names = topo!.namespaces();
    await topo!.destroy();
    for (const n of names) expect(existsSync(`/var/run/netns/${n}`)).toBe(false);
  });
});
