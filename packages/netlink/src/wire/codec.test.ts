import { describe, expect, it } from "vitest";
import { Writer } from "./bytes.js";
import { IfaFlags, NudState, RouteFlags, RouteProtocol, RouteType } from "./constants.js";
import { dumpFixtures, requestFixtures } from "./fixtures.js";
import { decodeMessages, encodeMessage, type Message } from "./message.js";

const dumps = dumpFixtures();
const all = (name: string): Message[] =>
  dumps.find((d) => d.name === name)!.datagrams.flatMap((d) => decodeMessages(d));

/** Encodes a decoded message again (same header), for round trips. */
function reencode(m: Message): Uint8Array {
  const w = new Writer();
  const h = { type: m.header.type, flags: m.header.flags, seq: m.header.seq, pid: m.header.pid };
  switch (m.kind) {
    case "link":
      encodeMessage(w, h, { kind: "link", link: m.link });
      break;
    case "address":
      encodeMessage(w, h, { kind: "address", address: m.address });
      break;
    case "route":
      encodeMessage(w, h, { kind: "route", route: m.route });
      break;
    case "neighbour":
      encodeMessage(w, h, { kind: "neighbour", neighbour: m.neighbour });
      break;
    default:
      throw new Error(`no encoder for ${m.kind}`);
  }
  return w.finish();
}

describe("fixtures captured from the kernel", () => {
  it("are present", () => {
    expect(dumps.map((d) => d.name).sort()).toEqual([
      "addresses",
      "links",
      "neighbours",
      "routes4",
      "routes6",
    ]);
    for (const d of dumps) expect(d.datagrams.length).toBeGreaterThan(0);
    expect(requestFixtures().length).toBeGreaterThan(0);
  });

  it("every dump ends with NLMSG_DONE and round-trips decode → encode → decode", () => {
    for (const d of dumps) {
      const msgs = d.datagrams.flatMap((b) => decodeMessages(b));
      expect(msgs.at(-1)?.kind, d.name).toBe("done");
      for (const m of msgs) {
        if (m.kind === "done") continue;
        expect(m.kind).not.toBe("unknown");
        const again = decodeMessages(reencode(m));
        expect(again).toHaveLength(1);
        const { header: _h1, ...a } = m;
        const { header: _h2, ...b } = again[0]!;
        expect(b, d.name).toEqual(a);
      }
    }
  });

  it("decodes links: bridge, veth with peer netns id, vxlan, enslaved port", () => {
    const links = all("links").flatMap((m) => (m.kind === "link" ? [m.link] : []));
    const by = new Map(links.map((l) => [l.name, l]));
    expect([...by.keys()].sort()).toEqual(["br0", "lo", "veth0", "vx0"]);
    expect(by.get("br0")?.info?.kind).toBe("bridge");
    const veth = by.get("veth0")!;
    expect(veth.info?.kind).toBe("veth");
    expect(veth.info?.slaveKind).toBe("bridge");
    expect(veth.master).toBe(by.get("br0")!.index);
    expect(veth.mtu).toBe(1400);
    expect(veth.linkNetnsid).toBeGreaterThanOrEqual(0);
    expect(veth.address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const vx = by.get("vx0")!.info?.vxlan;
    expect(vx).toMatchObject({ id: 42, port: 4789, local: "192.0.2.1" });
    expect(by.get("lo")?.mtu).toBe(65536);
  });

  it("decodes IPv4 routes: gateway+metric+proto, blackhole, table 1000, ECMP, via inet6, onlink", () => {
    const routes = all("routes4").flatMap((m) => (m.kind === "route" ? [m.route] : []));
    const by = (dst: string) => routes.find((r) => r.dst === dst)!;
    expect(by("198.51.100.0/24")).toMatchObject({
      gateway: "192.0.2.2",
      priority: 10,
      protocol: RouteProtocol.tortie,
      table: 254,
      type: RouteType.unicast,
    });
    expect(by("198.51.100.128/25").type).toBe(RouteType.blackhole);
    expect(by("203.0.113.0/26")).toMatchObject({ table: 1000, type: RouteType.unreachable });
    expect(by("203.0.113.64/26").multipath).toEqual([
      expect.objectContaining({ gateway: "192.0.2.2", weight: 1 }),
      expect.objectContaining({ gateway: "192.0.2.3", weight: 3 }),
    ]);
    expect(by("203.0.113.128/26").via).toBe("2001:db8::2");
    const onlink = by("198.51.100.77/32");
    expect(onlink.gateway).toBe("203.0.113.1");
    expect((onlink.flags ?? 0) & RouteFlags.onlink).toBe(RouteFlags.onlink);
  });

  it("decodes IPv6 routes and addresses (nodad flag), and permanent neighbours", () => {
    const r6 = all("routes6").flatMap((m) => (m.kind === "route" ? [m.route] : []));
    expect(r6.find((r) => r.dst === "2001:db8:1::/48")).toMatchObject({
      gateway: "2001:db8::2",
      protocol: 84,
      family: 10,
    });
    const addrs = all("addresses").flatMap((m) => (m.kind === "address" ? [m.address] : []));
    const v6 = addrs.find((a) => a.address === "2001:db8::1")!;
    expect(v6.prefixlen).toBe(64);
    expect(v6.flags & IfaFlags.nodad).toBe(IfaFlags.nodad);
    expect(addrs.find((a) => a.local === "192.0.2.1")).toMatchObject({
      prefixlen: 24,
      label: "br0",
    });
    const neigh = all("neighbours").flatMap((m) => (m.kind === "neighbour" ? [m.neighbour] : []));
    expect(neigh.find((n) => n.dst === "192.0.2.9")).toMatchObject({
      lladdr: "02:00:5e:00:53:09",
      state: NudState.permanent,
    });
    expect(neigh.find((n) => n.dst === "2001:db8::9")?.lladdr).toBe("02:00:5e:00:53:0a");
  });

  it("decodes iproute2's own requests and re-encodes them to the same meaning", () => {
    const reqs = requestFixtures();
    const dec = reqs.map((r) => ({ command: r.command, m: decodeMessages(r.bytes)[0]! }));
    const route = dec.find((d) => d.command.includes("table 100"))!.m;
    expect(route.kind === "route" && route.route).toMatchObject({
      dst: "198.51.100.64/26",
      gateway: "192.0.2.2",
      protocol: 84,
      priority: 5,
      table: 100,
    });
    const ecmp = dec.find((d) => d.command.includes("nexthop"))!.m;
    expect(
      ecmp.kind === "route" && ecmp.route.multipath?.map((n) => [n.gateway, n.weight]),
    ).toEqual([
      ["192.0.2.2", 2],
      ["192.0.2.3", 1],
    ]);
    const veth = dec.find((d) => d.command.includes("veth"))!.m;
    expect(veth.kind === "link" && veth.link.info?.peer?.name).toBe("vv1");
    for (const { m } of dec) {
      const again = decodeMessages(reencode(m))[0]!;
      const { header: _a, ...x } = m;
      const { header: _b, ...y } = again;
      expect(y).toEqual(x);
    }
  });
});
