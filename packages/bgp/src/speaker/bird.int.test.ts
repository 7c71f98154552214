// Interop with BIRD 2: sessions over iBGP and eBGP, IPv4 and IPv6, routes
// both ways with their attributes, withdrawals both ways.
import { requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { Speaker } from "./speaker.js";

const skip = requirePrereqs(["root", "bird"]);

describe.skipIf(skip)("interop: BIRD 2", () => {
  const tb = useTestbed();

  it("iBGP and eBGP, IPv4 and IPv6: routes and withdrawals both ways", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24", "2001:db8::1/64"],
            tortie: ["192.0.2.2/24", "2001:db8::2/64"],
          },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        static4: ["198.51.100.0/26"],
        static6: ["2001:db8:b::/48"],
        peers: [
          { name: "ibgp4", neighbor: "192.0.2.2", neighborAs: 65001, ipv4: true },
          { name: "ebgp6", neighbor: "2001:db8::2", neighborAs: 65002, localAs: 65001, ipv6: true },
        ],
      }),
    );
    const tortie = await Speaker.start({
      asn: 65001,
      routerId: "192.0.2.2",
      netns: topo.host("tortie").nsPath,
      listen: { address: "::", port: 179 },
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        { address: "2001:db8::1", asn: 65001, localAsn: 65002, connectRetryTime: 1 },
      ],
      originate: [
        { prefix: "203.0.113.0/26", communities: ["65001:100"], med: 50 },
        { prefix: "2001:db8:7::/48", largeCommunities: ["65002:1:2"] },
      ],
    });
    tb.defer(() => tortie.close());

    await bird.waitEstablished("ibgp4");
    await bird.waitEstablished("ebgp6");
    await waitFor(
      () =>
        tortie.peer("192.0.2.1")?.state === "Established" &&
        tortie.peer("2001:db8::1")?.state === "Established",
    );
    const st = tortie.peer("192.0.2.1")!;
    expect(st.session?.internal).toBe(true);
    expect(st.session?.fourOctetAs).toBe(true);
    expect(st.session?.peerRouterId).toBe("192.0.2.1");

    // Tortie → BIRD, with attributes.
    const r4 = await bird.waitFor(async () =>
      (await bird.routes({ table: "master4" })).find((r) => r.prefix === "203.0.113.0/26"),
    );
    expect(r4.protocol).toBe("ibgp4");
    expect(r4.attrs["BGP.community"]).toBe("(65001,100)");
    expect(r4.attrs["BGP.med"]).toBe("50");
    expect(r4.attrs["BGP.local_pref"]).toBe("100");
    expect(r4.attrs["BGP.next_hop"]).toBe("192.0.2.2");
    const r6 = await bird.waitFor(async () =>
      (await bird.routes({ table: "master6" })).find((r) => r.prefix === "2001:db8:7::/48"),
    );
    expect(r6.protocol).toBe("ebgp6");
    expect(r6.attrs["BGP.as_path"]).toBe("65002");
    expect(r6.attrs["BGP.large_community"]).toBe("(65002, 1, 2)");

    // BIRD → Tortie.
    const learned4 = await waitFor(() =>
      tortie.routes("192.0.2.1").find((r) => r.prefix === "198.51.100.0/26"),
    );
    expect(learned4).toMatchObject({
      nextHop: "192.0.2.1",
      origin: "igp",
      asPath: [],
      localPref: 100,
    });
    const learned6 = await waitFor(() =>
      tortie.routes("2001:db8::1").find((r) => r.prefix === "2001:db8:b::/48"),
    );
    expect(learned6.asPath).toEqual([65001]);
    expect(learned6.nextHop).toBe("2001:db8::1");

    // Withdrawals both ways.
    tortie.withdraw(["203.0.113.0/26", "2001:db8:7::/48"]);
    await bird.waitFor(async () => {
      const all = await bird.routes();
      return !all.some((r) => r.prefix === "203.0.113.0/26" || r.prefix === "2001:db8:7::/48");
    });
    await bird.birdc("disable s4");
    await waitFor(() => !tortie.routes("192.0.2.1").some((r) => r.prefix === "198.51.100.0/26"));
  });
});

describe.skipIf(skip)("interop: BIRD 2, IPv6 routes over an IPv4 session", () => {
  const tb = useTestbed();

  it("carries IPv6 unicast on an IPv4 session with an IPv6 next hop, both ways", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24", "2001:db8::1/64"],
            tortie: ["192.0.2.2/24", "2001:db8::2/64"],
          },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        static6: ["2001:db8:b::/48"],
        peers: [
          {
            name: "tortie",
            neighbor: "192.0.2.2",
            neighborAs: 65002,
            ipv4: true,
            ipv6: { nextHopAddress: "2001:db8::1" },
          },
        ],
      }),
    );
    const tortie = await Speaker.start({
      asn: 65002,
      routerId: "192.0.2.2",
      netns: topo.host("tortie").nsPath,
      peers: [
        {
          address: "192.0.2.1",
          asn: 65001,
          connectRetryTime: 1,
          families: ["ipv4-unicast", "ipv6-unicast"],
          nextHop6: "2001:db8::2",
        },
      ],
      originate: [{ prefix: "2001:db8:7::/48" }, { prefix: "203.0.113.0/26" }],
    });
    tb.defer(() => tortie.close());
    await bird.waitEstablished("tortie");
    expect((await waitFor(() => tortie.peer("192.0.2.1")?.session))?.families).toEqual([
      "ipv4-unicast",
      "ipv6-unicast",
    ]);
    const r6 = await bird.waitFor(async () =>
      (await bird.routes({ table: "master6" })).find((r) => r.prefix === "2001:db8:7::/48"),
    );
    expect(r6.attrs["BGP.next_hop"]).toContain("2001:db8::2");
    const learned6 = await waitFor(() =>
      tortie.routes("192.0.2.1").find((r) => r.prefix === "2001:db8:b::/48"),
    );
    expect(learned6.nextHop).toBe("2001:db8::1");
  });
});
