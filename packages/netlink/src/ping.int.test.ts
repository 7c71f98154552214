// Two namespaces joined by a veth pair that Tortie alone created and
// configured (links, addresses, routes): they ping each other, directly and
// through routes to loopback prefixes.
import { requirePrereqs, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { Netlink, Netns, RouteProtocol } from "./index.js";

const skip = requirePrereqs(["root", "netns"]);

describe.skipIf(skip)("a veth pair configured by Tortie carries traffic", () => {
  const tb = useTestbed();

  it("pings across, IPv4 and IPv6, and through routes Tortie installed", async () => {
    const topo = await tb.topology({ hosts: ["a", "b"] });
    const a = topo.host("a");
    const b = topo.host("b");
    const na = await Netlink.open({ netns: a.nsPath });
    const nb = await Netlink.open({ netns: b.nsPath });
    tb.defer(() => {
      na.close();
      nb.close();
    });
    // The CNI plugin's shape: the pod end created directly in the pod namespace.
    await na.links.addVeth({ name: "veth-a", peer: { name: "eth0", netns: Netns.path(b.nsPath) } });
    await na.links.setUp("veth-a");
    await nb.links.setUp("eth0");
    await nb.links.setUp("lo");
    await na.addresses.add({ dev: "veth-a", address: "192.0.2.1/24" });
    await nb.addresses.add({ dev: "eth0", address: "192.0.2.2/24" });
    await na.addresses.add({ dev: "veth-a", address: "2001:db8:12::1/64", nodad: true });
    await nb.addresses.add({ dev: "eth0", address: "2001:db8:12::2/64", nodad: true });
    // A "service" prefix on b's loopback, reached from a through a route.
    await nb.addresses.add({ dev: "lo", address: "203.0.113.7/32" });
    await nb.addresses.add({ dev: "lo", address: "2001:db8:77::7/128", nodad: true });
    await na.routes.add({
      dst: "203.0.113.0/24",
      gateway: "192.0.2.2",
      protocol: RouteProtocol.tortie,
    });
    await na.routes.add({
      dst: "2001:db8:77::/48",
      gateway: "2001:db8:12::2",
      protocol: RouteProtocol.tortie,
    });
    // A /32 host route and a default route, like a pod's.
    await na.routes.add({ dst: "198.51.100.9/32", dev: "veth-a", protocol: RouteProtocol.tortie });
    await nb.routes.add({ dst: "default", family: 4, gateway: "192.0.2.1" });

    for (const target of ["192.0.2.2", "2001:db8:12::2", "203.0.113.7", "2001:db8:77::7"]) {
      const { stdout } = await a.exec(["ping", "-c", "1", "-W", "2", target]);
      expect(stdout, target).toMatch(/1 received/);
    }
    const { stdout } = await b.exec(["ping", "-c", "1", "-W", "2", "192.0.2.1"]);
    expect(stdout).toMatch(/1 received/);
    expect((await nb.routes.get("198.51.100.1")).gateway).toBe("192.0.2.1");
  });
});
