// Bad input gives the typed error with the kernel's text, and a refused
// single-request operation leaves nothing half-applied.
import { type Host, requirePrereqs, useTestbed } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Netlink, NetlinkError, NetlinkInputError, Netns } from "./index.js";

const skip = requirePrereqs(["root", "netns"]);

describe.skipIf(skip)("errors from the kernel", () => {
  const tb = useTestbed();
  let a: Host;
  let b: Host;
  let nl: Netlink;

  beforeAll(async () => {
    const topo = await tb.topology({
      hosts: ["a", "b"],
      links: [
        {
          a: { host: "a", ifname: "eth0", addrs: ["192.0.2.1/24"] },
          b: { host: "b", addrs: ["192.0.2.2/24"] },
        },
      ],
    });
    a = topo.host("a");
    b = topo.host("b");
    nl = await Netlink.open({ netns: a.nsPath });
  });
  afterAll(() => nl?.close());

  const refused = async (p: Promise<unknown>): Promise<NetlinkError> => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(NetlinkError);
      return e as NetlinkError;
    }
    throw new Error("expected a NetlinkError");
  };

  it("a gateway in the wrong family: ENETUNREACH with the kernel's text", async () => {
    const e = await refused(nl.routes.add({ dst: "198.51.100.0/24", gateway: "2001:db8::5" }));
    expect(e.code).toBe("ENETUNREACH");
    expect(e.kernelMessage).toMatch(/gateway/i);
    expect(e.message).toContain("ip route add 198.51.100.0/24 via 2001:db8::5");
    expect(await a.ipJson<unknown[]>(["route", "show", "198.51.100.0/24"])).toEqual([]);
  });

  it("an address of the wrong family for nodad is refused locally", async () => {
    await expect(
      nl.addresses.add({ dev: "eth0", address: "192.0.2.7/24", nodad: true }),
    ).rejects.toBeInstanceOf(NetlinkInputError);
    await expect(nl.routes.add({ dst: "198.51.100.1/24" })).rejects.toBeInstanceOf(
      NetlinkInputError,
    );
  });

  it("a missing interface: ENODEV", async () => {
    const e = await refused(nl.addresses.add({ dev: "nosuch0", address: "192.0.2.8/24" }));
    expect(e.code).toBe("ENODEV");
    const e2 = await refused(nl.links.delete("nosuch0"));
    expect(e2.code).toBe("ENODEV");
    const e3 = await refused(nl.routes.add({ dst: "198.51.100.0/24", dev: 9999 }));
    expect(e3.code).toBe("ENODEV");
  });

  it("an unreachable gateway: ENETUNREACH (Nexthop has invalid gateway), no route left", async () => {
    const e = await refused(nl.routes.add({ dst: "198.51.100.0/24", gateway: "203.0.113.9" }));
    expect(e.code).toBe("ENETUNREACH");
    expect(e.kernelMessage).toBe("Nexthop has invalid gateway");
    expect(await nl.routes.list({ protocol: 3 })).toEqual([]);
  });

  it("an ECMP route with one bad next hop is refused whole", async () => {
    const e = await refused(
      nl.routes.add({
        dst: "198.51.100.0/24",
        nexthops: [{ gateway: "192.0.2.2" }, { gateway: "203.0.113.9" }],
      }),
    );
    expect(e.code).toBe("ENETUNREACH");
    expect(await a.ipJson<unknown[]>(["route", "show", "198.51.100.0/24"])).toEqual([]);
  });

  it("a veth whose peer name is taken in the target namespace: EEXIST, and neither end exists", async () => {
    const e = await refused(
      nl.links.addVeth({ name: "half0", peer: { name: "eth0", netns: Netns.path(b.nsPath) } }),
    );
    expect(e.code).toBe("EEXIST");
    expect(
      (await a.ipJson<{ ifname: string }[]>(["link", "show"])).map((l) => l.ifname),
    ).not.toContain("half0");
  });

  it("a link change is applied in the kernel's order and not rolled back (documented as not atomic)", async () => {
    await nl.links.addVeth({ name: "keep0", peer: { name: "keep1" } });
    const e = await refused(nl.links.set("keep0", { mtu: 1200, name: "eth0" }));
    expect(e.code).toBe("EEXIST");
    const after = await nl.links.get("keep0");
    expect(after.name).toBe("keep0");
    // do_setlink changed the MTU before the rename failed: that is what Links.set documents
    expect(after.mtu).toBe(1200);
    await nl.links.delete("keep0");
  });

  it("batches report each refused message and apply the rest", async () => {
    const r = await nl.routes.batch("add", [
      { dst: "198.51.100.0/26", gateway: "192.0.2.2" },
      { dst: "198.51.100.64/26", gateway: "203.0.113.9" },
      { dst: "198.51.100.128/26", gateway: "192.0.2.2" },
    ]);
    expect(r.sent).toBe(3);
    expect(r.failures.map((f) => [f.index, f.error.code, f.error.kernelMessage])).toEqual([
      [1, "ENETUNREACH", "Nexthop has invalid gateway"],
    ]);
    expect(r.failures[0]!.error.message).toContain("198.51.100.64/26");
    const dsts = (await nl.routes.list({ protocol: 3 })).map((x) => x.dst).sort();
    expect(dsts).toEqual(["198.51.100.0/26", "198.51.100.128/26"]);
    await nl.routes.flush({ protocol: 3 });
  });

  it("a namespace that does not exist is a typed socket error", async () => {
    await expect(Netlink.open({ netns: "tortie-no-such-ns" })).rejects.toMatchObject({
      name: "NetlinkSocketError",
    });
  });
});
