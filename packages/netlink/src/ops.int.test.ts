// Every operation against the real kernel, in testbed namespaces, read back
// both with Tortie and with `ip -json`.

import { execFileSync } from "node:child_process";
import { type Host, requirePrereqs, useTestbed } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNetns,
  deleteNetns,
  Netlink,
  NetlinkError,
  Netns,
  RouteFlags,
  RouteProtocol,
  RouteType,
} from "./index.js";

const skip = requirePrereqs(["root", "netns"]);

interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  address: string;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}
interface IpRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  table?: string;
  protocol?: string;
  scope?: string;
  flags: string[];
  via?: { family: string; host: string };
  nexthops?: { gateway: string; dev: string; weight: number }[];
}

describe.skipIf(skip)("operations against the kernel", () => {
  const tb = useTestbed();
  let a: Host;
  let b: Host;
  let nl: Netlink;
  let nlb: Netlink;

  beforeAll(async () => {
    const topo = await tb.topology({ hosts: ["a", "b"] });
    a = topo.host("a");
    b = topo.host("b");
    nl = await Netlink.open({ netns: a.nsPath });
    nlb = await Netlink.open({ netns: Netns.path(b.nsPath) });
  });
  afterAll(() => {
    nl?.close();
    nlb?.close();
  });

  const links = (h: Host) => h.ipJson<IpLink[]>(["-d", "link", "show"]);
  const routes = (h: Host, ...args: string[]) => h.ipJson<IpRoute[]>(["route", "show", ...args]);

  it("veth pair with the peer created straight in another namespace; set, rename, delete", async () => {
    await nl.links.addVeth({
      name: "tv0",
      mtu: 1400,
      address: "02:00:5e:00:53:01",
      peer: { name: "eth0", netns: Netns.path(b.nsPath) },
    });
    const ours = await nl.links.get("tv0");
    expect(ours).toMatchObject({ name: "tv0", mtu: 1400, address: "02:00:5e:00:53:01" });
    expect(ours.info?.kind).toBe("veth");
    const peer = await nlb.links.get("eth0");
    expect(peer.mtu).toBe(1400);
    const ipA = (await links(a)).find((l) => l.ifname === "tv0")!;
    expect(ipA.linkinfo?.info_kind).toBe("veth");
    expect(ipA.address).toBe("02:00:5e:00:53:01");
    expect((await links(b)).map((l) => l.ifname)).toContain("eth0");

    await nl.links.set("tv0", { up: true, mtu: 1300, address: "02:00:5e:00:53:02" });
    const after = (await links(a)).find((l) => l.ifname === "tv0")!;
    expect(after.flags).toContain("UP");
    expect(after.mtu).toBe(1300);
    expect(after.address).toBe("02:00:5e:00:53:02");
    expect(((await nl.links.get("tv0")).flags ?? 0) & 1).toBe(1);

    await nl.links.setDown("tv0");
    expect((await links(a)).find((l) => l.ifname === "tv0")!.flags).not.toContain("UP");
    await nl.links.set("tv0", { name: "tv1" });
    expect(await nl.links.find("tv0")).toBeUndefined();
    expect((await nl.links.get("tv1")).index).toBe(ours.index);

    await nl.links.delete("tv1");
    expect((await links(a)).map((l) => l.ifname)).not.toContain("tv1");
    // the peer goes with it
    expect((await links(b)).map((l) => l.ifname)).not.toContain("eth0");
  });

  it("bridge with an enslaved port, nomaster, move to a namespace", async () => {
    await nl.links.addBridge({ name: "tbr0", up: true });
    await nl.links.addVeth({ name: "tp0", peer: { name: "tp1" } });
    await nl.links.set("tp0", { master: "tbr0" });
    const br = await nl.links.get("tbr0");
    expect(br.info?.kind).toBe("bridge");
    expect((await nl.links.get("tp0")).master).toBe(br.index);
    expect((await links(a)).find((l) => l.ifname === "tp0")?.master).toBe("tbr0");
    await nl.links.set("tp0", { master: null });
    expect((await links(a)).find((l) => l.ifname === "tp0")?.master).toBeUndefined();

    await nl.links.moveTo("tp1", Netns.path(b.nsPath));
    expect((await links(a)).map((l) => l.ifname)).not.toContain("tp1");
    expect((await nlb.links.get("tp1")).name).toBe("tp1");
    await nl.links.delete("tp0");
    await nl.links.delete("tbr0");
  });

  it("vxlan with VNI, port and local address", async () => {
    await nl.links.addVxlan({ name: "tvx0", vni: 4242, port: 4789, local: "192.0.2.10" });
    const l = await nl.links.get("tvx0");
    expect(l.info?.vxlan).toMatchObject({ id: 4242, port: 4789, local: "192.0.2.10" });
    const ip = (await links(a)).find((x) => x.ifname === "tvx0")!;
    expect(ip.linkinfo?.info_data).toMatchObject({ id: 4242, port: 4789, local: "192.0.2.10" });
    await nl.links.delete("tvx0");
  });

  it("dummy: created when the kernel has the driver, else refused with its text and nothing made", async () => {
    try {
      await nl.links.addDummy({ name: "tdum0", mtu: 1280 });
      const l = await nl.links.get("tdum0");
      expect(l.info?.kind).toBe("dummy");
      expect(l.mtu).toBe(1280);
      await nl.links.delete("tdum0");
    } catch (e) {
      expect(e).toBeInstanceOf(NetlinkError);
      expect((e as NetlinkError).code).toBe("EOPNOTSUPP");
      expect((e as NetlinkError).kernelMessage).toBe("Unknown device type");
      expect((await links(a)).map((l) => l.ifname)).not.toContain("tdum0");
    }
  });

  it("addresses: IPv4 and IPv6 nodad, list, delete", async () => {
    await nl.links.addBridge({ name: "tad0", up: true });
    await nl.addresses.add({ dev: "tad0", address: "192.0.2.1/24" });
    await nl.addresses.add({ dev: "tad0", address: "2001:db8:a::1/64", nodad: true });
    const ours = (await nl.addresses.list({ dev: "tad0" })).map((x) => x.cidr);
    expect(ours).toEqual(expect.arrayContaining(["192.0.2.1/24", "2001:db8:a::1/64"]));
    const ip = await a.ipJson<
      { addr_info: { local: string; prefixlen: number; tentative?: boolean }[] }[]
    >(["addr", "show", "dev", "tad0"]);
    const infos = ip[0]!.addr_info;
    expect(infos.map((i) => `${i.local}/${i.prefixlen}`)).toEqual(
      expect.arrayContaining(["192.0.2.1/24", "2001:db8:a::1/64"]),
    );
    // nodad: usable at once, never tentative
    expect(infos.find((i) => i.local === "2001:db8:a::1")?.tentative).toBeUndefined();
    await expect(nl.addresses.add({ dev: "tad0", address: "192.0.2.1/24" })).rejects.toMatchObject({
      code: "EEXIST",
    });
    await nl.addresses.delete({ dev: "tad0", address: "192.0.2.1/24" });
    expect((await nl.addresses.list({ dev: "tad0", family: 4 })).map((x) => x.cidr)).toEqual([]);
    await nl.links.delete("tad0");
  });

  it("routes: add/replace/append/delete with table, protocol, metric; types; onlink; list; get", async () => {
    await nl.links.addBridge({ name: "trt0", up: true });
    await nl.addresses.add({ dev: "trt0", address: "192.0.2.1/24" });
    await nl.addresses.add({ dev: "trt0", address: "2001:db8::1/64", nodad: true });
    const T = 1001;
    await nl.routes.add({
      dst: "198.51.100.0/24",
      gateway: "192.0.2.2",
      table: T,
      protocol: RouteProtocol.tortie,
      metric: 20,
    });
    let ip = await routes(a, "table", String(T));
    expect(ip).toEqual([
      expect.objectContaining({
        dst: "198.51.100.0/24",
        gateway: "192.0.2.2",
        metric: 20,
        dev: "trt0",
      }),
    ]);
    await nl.routes.replace({
      dst: "198.51.100.0/24",
      gateway: "192.0.2.3",
      table: T,
      protocol: RouteProtocol.tortie,
      metric: 20,
    });
    ip = await routes(a, "table", String(T));
    expect(ip.map((r) => r.gateway)).toEqual(["192.0.2.3"]);
    await expect(
      nl.routes.add({ dst: "198.51.100.0/24", gateway: "192.0.2.4", table: T, metric: 20 }),
    ).rejects.toMatchObject({ code: "EEXIST" });
    // append: a second route of the same key (IPv6 merges it into ECMP; IPv4 keeps two entries)
    await nl.routes.append({
      dst: "198.51.100.0/24",
      gateway: "192.0.2.4",
      table: T,
      metric: 20,
      protocol: RouteProtocol.tortie,
    });
    expect((await nl.routes.list({ table: T })).map((r) => r.gateway).sort()).toEqual([
      "192.0.2.3",
      "192.0.2.4",
    ]);

    await nl.routes.add({
      dst: "198.51.100.128/25",
      type: "blackhole",
      table: T,
      protocol: RouteProtocol.tortie,
    });
    await nl.routes.add({ dst: "203.0.113.0/26", type: "unreachable", table: T });
    await nl.routes.add({ dst: "203.0.113.64/26", type: "prohibit", table: T });
    await nl.routes.add({
      dst: "198.51.100.77/32",
      gateway: "203.0.113.1",
      dev: "trt0",
      onlink: true,
      table: T,
    });
    await nl.routes.add({
      dst: "203.0.113.128/26",
      table: T,
      nexthops: [
        { gateway: "192.0.2.2", weight: 1 },
        { gateway: "192.0.2.3", weight: 3 },
      ],
    });
    await nl.routes.add({ dst: "203.0.113.192/26", via: "2001:db8::2", dev: "trt0", table: T });
    await nl.routes.add({
      dst: "2001:db8:1::/48",
      gateway: "2001:db8::2",
      table: T,
      protocol: RouteProtocol.tortie,
    });
    await nl.routes.add({ dst: "192.0.2.200/32", type: "local", dev: "trt0", table: T });
    await nl.routes.add({
      dst: "198.51.100.96/27",
      dev: "trt0",
      scope: "host",
      table: T,
      metric: 7,
    });

    ip = await routes(a, "table", String(T));
    const by = (d: string) => ip.find((r) => r.dst === d);
    expect(by("198.51.100.128/25")?.type).toBe("blackhole");
    expect(by("203.0.113.0/26")?.type).toBe("unreachable");
    expect(by("203.0.113.64/26")?.type).toBe("prohibit");
    expect(by("198.51.100.77")?.flags).toContain("onlink");
    expect(by("198.51.100.96/27")).toMatchObject({ scope: "host", metric: 7, dev: "trt0" });
    expect(by("203.0.113.128/26")?.nexthops?.map((n) => [n.gateway, n.weight])).toEqual([
      ["192.0.2.2", 1],
      ["192.0.2.3", 3],
    ]);
    expect(by("203.0.113.192/26")?.via).toEqual({ family: "inet6", host: "2001:db8::2" });
    const ip6 = await a.ipJson<IpRoute[]>(["-6", "route", "show", "table", String(T)]);
    expect(ip6.find((r) => r.dst === "2001:db8:1::/48")?.gateway).toBe("2001:db8::2");
    const local = await a.ipJson<IpRoute[]>(["route", "show", "table", String(T), "type", "local"]);
    expect(local.map((r) => r.dst)).toEqual(["192.0.2.200"]);

    // Tortie's reading of the same table
    const ours = await nl.routes.list({ table: T });
    const o = (d: string) => ours.filter((r) => r.dst === d);
    expect(o("198.51.100.128/25")[0]?.type).toBe(RouteType.blackhole);
    expect((o("198.51.100.77/32")[0]?.flags ?? 0) & RouteFlags.onlink).toBe(RouteFlags.onlink);
    expect(o("203.0.113.128/26")[0]?.multipath?.map((n) => n.weight)).toEqual([1, 3]);
    expect(o("203.0.113.192/26")[0]?.via).toBe("2001:db8::2");
    // per protocol, both families
    const tortie = await nl.routes.list({ table: T, protocol: RouteProtocol.tortie });
    expect(tortie.map((r) => r.dst).sort()).toEqual([
      "198.51.100.0/24",
      "198.51.100.0/24",
      "198.51.100.128/25",
      "2001:db8:1::/48",
    ]);
    const ipProto = await a.ipJson<IpRoute[]>(["route", "show", "table", String(T), "proto", "84"]);
    expect(ipProto.map((r) => r.dst).sort()).toEqual([
      "198.51.100.0/24",
      "198.51.100.0/24",
      "198.51.100.128/25",
    ]);

    // lookup (`ip route get`)
    await nl.routes.add({ dst: "198.51.100.0/24", gateway: "192.0.2.9" });
    const got = await nl.routes.get("198.51.100.5");
    expect(got).toMatchObject({ dst: "198.51.100.5/32", gateway: "192.0.2.9" });

    // delete and flush by protocol
    await nl.routes.delete({ dst: "203.0.113.0/26", type: "unreachable", table: T });
    expect((await routes(a, "table", String(T))).map((r) => r.dst)).not.toContain("203.0.113.0/26");
    await expect(nl.routes.delete({ dst: "203.0.113.0/26", table: T })).rejects.toMatchObject({
      code: "ESRCH",
    });
    expect(await nl.routes.flush({ protocol: RouteProtocol.tortie, table: T })).toBe(4);
    expect(await nl.routes.list({ table: T, protocol: RouteProtocol.tortie })).toEqual([]);
    expect((await routes(a, "table", String(T))).length).toBeGreaterThan(0);
    await nl.links.delete("trt0");
  });

  it("neighbours: permanent entries added, replaced, deleted", async () => {
    await nl.links.addBridge({ name: "tnb0", up: true });
    await nl.neighbours.add({ dev: "tnb0", address: "192.0.2.9", lladdr: "02:00:5e:00:53:09" });
    await nl.neighbours.add({ dev: "tnb0", address: "2001:db8::9", lladdr: "02:00:5e:00:53:0a" });
    const ip = () =>
      a.ipJson<{ dst: string; lladdr: string; state: string[] }[]>([
        "neigh",
        "show",
        "dev",
        "tnb0",
      ]);
    expect(await ip()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          dst: "192.0.2.9",
          lladdr: "02:00:5e:00:53:09",
          state: ["PERMANENT"],
        }),
        expect.objectContaining({
          dst: "2001:db8::9",
          lladdr: "02:00:5e:00:53:0a",
          state: ["PERMANENT"],
        }),
      ]),
    );
    await nl.neighbours.replace({ dev: "tnb0", address: "192.0.2.9", lladdr: "02:00:5e:00:53:19" });
    expect(
      (await nl.neighbours.list({ dev: "tnb0" })).find((n) => n.dst === "192.0.2.9")?.lladdr,
    ).toBe("02:00:5e:00:53:19");
    await nl.neighbours.delete({ dev: "tnb0", address: "192.0.2.9" });
    expect((await ip()).map((n) => n.dst)).not.toContain("192.0.2.9");
    await nl.links.delete("tnb0");
  });

  it("named namespaces created and deleted by Tortie; sysctls inside", async () => {
    const name = `${a.netns}-x`;
    const ns = createNetns(name);
    tb.defer(() => {
      try {
        deleteNetns(name);
      } catch {
        // already deleted by the test
      }
    });
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).toContain(name);
    const inner = await Netlink.open({ netns: ns });
    expect((await inner.links.list()).map((l) => l.name)).toEqual(["lo"]);
    inner.sysctl.set("net.ipv4.ip_forward", 1);
    expect(inner.sysctl.get("net.ipv4.ip_forward")).toBe("1");
    expect(
      execFileSync("ip", ["netns", "exec", name, "sysctl", "-n", "net.ipv4.ip_forward"], {
        encoding: "utf8",
      }).trim(),
    ).toBe("1");
    // other namespaces are not touched
    const mine = nl.sysctl.get("net.ipv4.conf.all.accept_redirects");
    const other = mine === "1" ? "0" : "1";
    inner.sysctl.set("net.ipv4.conf.all.accept_redirects", other);
    expect(inner.sysctl.get("net.ipv4.conf.all.accept_redirects")).toBe(other);
    expect(nl.sysctl.get("net.ipv4.conf.all.accept_redirects")).toBe(mine);
    inner.close();
    deleteNetns(name);
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(name);
  });

  it("notifications arrive as an async stream", async () => {
    const events = nl.events(["link", "ipv4Route"]);
    const seen: string[] = [];
    const reader = (async () => {
      for await (const e of events) {
        if (e.kind === "link" && e.link.name === "tev0") seen.push(`link ${e.header.type}`);
        if (e.kind === "route" && e.route.dst === "198.51.100.0/24") {
          seen.push(`route ${e.header.type}`);
          break;
        }
      }
    })();
    await nl.links.addBridge({ name: "tev0", up: true });
    await nl.addresses.add({ dev: "tev0", address: "192.0.2.1/24" });
    await nl.routes.add({ dst: "198.51.100.0/24", gateway: "192.0.2.2", table: 1002 });
    await reader;
    events.close();
    expect(seen).toContain("link 16");
    expect(seen.at(-1)).toBe("route 24");
    await nl.links.delete("tev0");
  });

  it("many idle notification streams at once all deliver (no thread is parked per stream)", async () => {
    const streams = Array.from({ length: 8 }, () => nl.events(["link"], { maxPollMs: 10 }));
    const got = streams.map(async (s) => {
      for await (const e of s) if (e.kind === "link" && e.link.name === "tev1") return true;
      return false;
    });
    await new Promise((r) => setTimeout(r, 50));
    await nl.links.addBridge({ name: "tev1" });
    expect(await Promise.all(got)).toEqual(new Array(8).fill(true));
    for (const s of streams) s.close();
    // requests still answer promptly with the streams open
    expect((await nl.links.get("tev1")).name).toBe("tev1");
    await nl.links.delete("tev1");
  });
});
