// Session behaviour against real peers: 4-octet AS through a 2-octet-only
// peer, hold timer expiry and recovery, reconnect back-off, administrative
// shutdown with RFC 9003 messages both ways, route refresh, TCP-MD5, GTSM
// (both directions; TTL of accepted sessions),
// dynamic neighbors and peers added and removed at run time.
import {
  requirePrereqs,
  sleep,
  startBird,
  startExabgp,
  startFrr,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import {
  established,
  learned,
  PEER4,
  pairTopology,
  startTortie,
  TORTIE4,
} from "./interop.fixture.js";

const skip = requirePrereqs(["root", "bird", "frr", "exabgp", "nft"]);

describe.skipIf(skip)("sessions against BIRD and FRR", () => {
  const tb = useTestbed();

  it("4-octet AS 4200000001 through a 2-octet-only ExaBGP (AS_TRANS) and to a 4-octet FRR", async () => {
    const topo = await tb.topology({
      hosts: ["exa", "frr", "tortie"],
      segments: {
        lan: {
          members: { exa: ["192.0.2.1/24"], frr: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] },
        },
      },
    });
    // ExaBGP without the 4-octet AS capability: a 2-octet-only speaker that
    // knows Tortie as AS_TRANS (RFC 6793 §4.2.1).
    const exa = tb.track(
      await startExabgp(topo.host("exa"), {
        routerId: "192.0.2.1",
        localAddress: "192.0.2.1",
        localAs: 65001,
        neighbor: TORTIE4,
        peerAs: 23456,
        capability: ["asn4 disable;"],
        routes: ["198.51.100.0/26 next-hop 192.0.2.1"],
      }),
    );
    const frr = tb.track(
      await startFrr(topo.host("frr"), {
        as: 65003,
        routerId: "192.0.2.3",
        neighbors: [{ address: TORTIE4, remoteAs: 4200000001 }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 4200000001,
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        { address: "192.0.2.3", asn: 65003, connectRetryTime: 1 },
      ],
      originate: [{ prefix: "203.0.113.0/26" }],
    });
    await Promise.all([
      exa.waitUp(),
      established(tortie, "192.0.2.1"),
      established(tortie, "192.0.2.3"),
    ]);
    expect(tortie.peer("192.0.2.1")?.session?.fourOctetAs).toBe(false);
    expect(tortie.peer("192.0.2.3")?.session?.fourOctetAs).toBe(true);

    // On the 2-octet session Tortie sends AS_TRANS in AS_PATH and its real AS
    // in AS4_PATH (RFC 6793 §4.2.2); ExaBGP merges them back (§4.2.3).
    const atExa = await exa.waitFor(() => exa.received().get("203.0.113.0/26"));
    expect(atExa["as-path"]).toEqual([4200000001]);
    // The 4-octet speaker sees the real AS.
    const atFrr = await frr.bgpd.waitFor(async () => (await frr.routes("ipv4"))["203.0.113.0/26"]);
    expect(atFrr[0]?.path).toBe("4200000001");
    // A route over the 2-octet session is read correctly.
    expect((await learned(tortie, "192.0.2.1", "198.51.100.0/26")).asPath).toEqual([65001]);
  });

  it("hold timer: a frozen peer gets Hold Timer Expired, and the session returns when it thaws", async () => {
    const topo = await pairTopology(tb);
    const bird = tb.track(
      await startBird(topo.host("peer"), {
        routerId: PEER4,
        localAs: 65001,
        peers: [
          {
            name: "tortie",
            neighbor: TORTIE4,
            neighborAs: 65001,
            holdTime: 3,
            keepaliveTime: 1,
            ipv4: true,
          },
        ],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65001,
      peers: [
        { address: PEER4, asn: 65001, holdTime: 3, connectRetryTime: 1, errorWaitTime: [1, 2] },
      ],
    });
    await established(tortie, PEER4);
    expect(tortie.peer(PEER4)?.session?.holdTime).toBe(3);
    bird.signal("SIGSTOP");
    const down = await waitFor(
      () => (tortie.peer(PEER4)?.state !== "Established" ? tortie.peer(PEER4) : undefined),
      {
        timeoutMs: 8000,
      },
    );
    expect(down.lastError?.event).toBe("HoldTimer_Expires");
    expect(down.lastError?.sent?.code).toBe(4); // Hold Timer Expired (RFC 4271 §6.5)
    bird.signal("SIGCONT");
    await established(tortie, PEER4, 30_000);
    await bird.waitEstablished("tortie", { timeoutMs: 30_000 });
  });

  it("peer restart: Tortie retries with growing back-off, then reconnects", async () => {
    const topo = await pairTopology(tb);
    const spec = {
      routerId: PEER4,
      localAs: 65001,
      peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65001, ipv4: true }],
    };
    const first = await startBird(topo.host("peer"), spec);
    tb.track(first);
    const tortie = await startTortie(tb, topo, {
      asn: 65001,
      peers: [{ address: PEER4, asn: 65001, connectRetryTime: 1, errorWaitTime: [0.5, 4] }],
    });
    await established(tortie, PEER4);
    const attempts: number[] = [];
    tortie.on("peer-state", (e) => {
      if (e.to === "Connect") attempts.push(Date.now());
    });
    await first.stop();
    await waitFor(() => attempts.length >= 4, {
      timeoutMs: 15_000,
      what: "four reconnect attempts",
    });
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 0.5 s, 1 s, 2 s… doubling (RFC 4271 §8.1.1 DampPeerOscillations), capped at 4 s.
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.5);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]! * 1.5);
    tb.track(await startBird(topo.host("peer"), spec));
    await established(tortie, PEER4, 15_000);
  });

  it("administrative shutdown: RFC 9003 messages shown by BIRD and FRR, and received from BIRD", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "frr", "tortie"],
      segments: {
        lan: {
          members: { bird: ["192.0.2.1/24"], frr: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65001, ipv4: true }],
      }),
    );
    const frr = tb.track(
      await startFrr(topo.host("frr"), {
        as: 65001,
        routerId: "192.0.2.3",
        neighbors: [{ address: TORTIE4, remoteAs: 65001 }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65001,
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1 },
        { address: "192.0.2.3", asn: 65001, connectRetryTime: 1 },
      ],
    });
    await Promise.all([established(tortie, "192.0.2.1"), established(tortie, "192.0.2.3")]);

    tortie.shutdownPeer("192.0.2.1", "draining node-1 for maintenance");
    tortie.shutdownPeer("192.0.2.3", "draining node-1 for maintenance");
    await bird.waitFor(async () =>
      (await bird.protocolDetails("tortie")).includes("draining node-1 for maintenance"),
    );
    await frr.bgpd.waitFor(async () =>
      JSON.stringify(await frr.neighbor(TORTIE4)).includes("draining node-1 for maintenance"),
    );
    expect(tortie.peer("192.0.2.1")?.state).toBe("Idle");

    tortie.startPeer("192.0.2.1");
    await established(tortie, "192.0.2.1");
    await bird.birdc('disable tortie "BIRD going down for upgrade"');
    const st = await waitFor(() => tortie.peer("192.0.2.1")?.lastError?.received);
    expect(st.code).toBe(6);
    expect(st.subcode).toBe(2);
    expect(st.message).toBe("BIRD going down for upgrade");
  });

  it("route refresh requested by the peer is answered with a full re-send", async () => {
    const topo = await pairTopology(tb);
    const frr = tb.track(
      await startFrr(topo.host("peer"), {
        as: 65001,
        routerId: PEER4,
        neighbors: [{ address: TORTIE4, remoteAs: 65001 }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65001,
      peers: [{ address: PEER4, asn: 65001, connectRetryTime: 1 }],
      originate: [{ prefix: "203.0.113.0/26" }, { prefix: "203.0.113.64/26" }],
    });
    await established(tortie, PEER4);
    await frr.bgpd.waitFor(async () => (await frr.routes("ipv4"))["203.0.113.64/26"]);
    const before = tortie.peer(PEER4)!.messages.sent.update;
    const refreshes: string[] = [];
    tortie.on("route-refresh", (e) => refreshes.push(e.family));
    await frr.vtysh(`clear bgp ipv4 unicast ${TORTIE4} soft in`);
    await waitFor(() => refreshes.length > 0, { what: "ROUTE-REFRESH from FRR" });
    expect(refreshes).toContain("ipv4-unicast");
    await waitFor(() => tortie.peer(PEER4)!.messages.sent.update > before, {
      what: "UPDATEs re-sent",
    });
    // Enhanced route refresh (RFC 7313): BoRR and EoRR around the re-send.
    expect(tortie.peer(PEER4)!.session?.enhancedRouteRefresh).toBe(true);
    expect(tortie.peer(PEER4)!.messages.sent.routeRefresh).toBeGreaterThanOrEqual(2);
    expect(Object.keys(await frr.routes("ipv4"))).toEqual(
      expect.arrayContaining(["203.0.113.0/26", "203.0.113.64/26"]),
    );
  });

  it("TCP-MD5: up with the right key against BIRD and FRR, never with a wrong one", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "frr", "tortie"],
      segments: {
        lan: {
          members: { bird: ["192.0.2.1/24"], frr: ["192.0.2.3/24"], tortie: ["192.0.2.2/24"] },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        peers: [
          {
            name: "good",
            neighbor: TORTIE4,
            neighborAs: 65001,
            password: "s3cret-bird",
            ipv4: true,
          },
        ],
      }),
    );
    const frr = tb.track(
      await startFrr(topo.host("frr"), {
        as: 65001,
        routerId: "192.0.2.3",
        neighbors: [{ address: TORTIE4, remoteAs: 65001, password: "s3cret-frr" }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65001,
      peers: [
        { address: "192.0.2.1", asn: 65001, connectRetryTime: 1, password: "s3cret-bird" },
        { address: "192.0.2.3", asn: 65001, connectRetryTime: 1, password: "wrong-key" },
      ],
    });
    await Promise.all([established(tortie, "192.0.2.1"), bird.waitEstablished("good")]);
    await sleep(5000);
    expect(tortie.peer("192.0.2.3")?.state).not.toBe("Established");
    expect((await frr.neighbor(TORTIE4))?.bgpState).not.toBe("Established");
    // fixing the key brings it up
    tortie.removePeer("192.0.2.3");
    tortie.addPeer({
      address: "192.0.2.3",
      asn: 65001,
      connectRetryTime: 1,
      password: "s3cret-frr",
    });
    await Promise.all([established(tortie, "192.0.2.3"), frr.waitEstablished(TORTIE4)]);
  });

  it("eBGP multihop: TTL 1 dies at the router between; multihop 2 reaches BIRD", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "r", "tortie"],
      links: [
        { a: { host: "bird", addrs: ["192.0.2.1/30"] }, b: { host: "r", addrs: ["192.0.2.2/30"] } },
        {
          a: { host: "r", addrs: ["198.51.100.1/30"] },
          b: { host: "tortie", addrs: ["198.51.100.2/30"] },
        },
      ],
      routes: [
        { host: "bird", to: "198.51.100.0/30", via: "192.0.2.2" },
        { host: "tortie", to: "192.0.2.0/30", via: "198.51.100.1" },
      ],
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        peers: [
          {
            name: "tortie",
            neighbor: "198.51.100.2",
            neighborAs: 65002,
            multihop: 2,
            passive: true,
            ipv4: true,
          },
        ],
      }),
    );
    const host = topo.host("tortie");
    const single = await startTortie(tb, host, {
      asn: 65002,
      routerId: "198.51.100.2",
      peers: [{ address: "192.0.2.1", asn: 65001, connectRetryTime: 1 }],
    });
    await sleep(3000);
    expect(single.peer("192.0.2.1")?.state).not.toBe("Established");
    await single.close();
    const multi = await startTortie(tb, host, {
      asn: 65002,
      routerId: "198.51.100.2",
      peers: [{ address: "192.0.2.1", asn: 65001, connectRetryTime: 1, multihop: 2 }],
    });
    await Promise.all([established(multi, "192.0.2.1"), bird.waitEstablished("tortie")]);
  });

  /** BIRD (AS 65001) on the pair topology's peer host, peering with Tortie (AS 65002); `extra` goes into its protocol. */
  const birdPeer = async (topo: Topology, extra: string) =>
    tb.track(
      await startBird(topo.host("peer"), {
        routerId: PEER4,
        localAs: 65001,
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65002, ipv4: true, extra }],
      }),
    );

  it("GTSM (ttlSecurity) with BIRD's `ttl security on`", async () => {
    const topo = await pairTopology(tb);
    const bird = await birdPeer(topo, "  ttl security on;");
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [{ address: PEER4, asn: 65001, connectRetryTime: 1, ttlSecurity: 1 }],
    });
    await Promise.all([established(tortie, PEER4), bird.waitEstablished("tortie")]);
  });

  it("GTSM when only BIRD connects: the listener's SYN-ACK and the accepted session carry TTL 255", async () => {
    // Tortie never connects, so the session can only come up on BIRD's
    // connection, whose socket drops anything under TTL 255 from the SYN-ACK on.
    const topo = await pairTopology(tb);
    const bird = await birdPeer(topo, "  ttl security on;\n  connect retry time 1;");
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [{ address: PEER4, asn: 65001, passive: true, ttlSecurity: 1 }],
    });
    await Promise.all([
      established(tortie, PEER4, 30_000),
      bird.waitEstablished("tortie", { timeoutMs: 30_000 }),
    ]);
  });

  it("an accepted direct eBGP session sends TTL 1 (the peer's), not the listener's 255", async () => {
    const topo = await pairTopology(tb);
    const peer = topo.host("peer");
    // Count Tortie's segments arriving at the peer by TTL: those carrying BGP
    // messages (longer than 60 bytes), and the SYN-ACK. A bare ACK the kernel
    // sends between accept() and the setsockopt is not counted.
    await peer.exec(["nft", "-f", "-"], {
      input: `table ip ttl { chain in {
        type filter hook input priority 0;
        ip saddr ${TORTIE4} tcp sport 179 ip length > 60 ip ttl 1 counter
        ip saddr ${TORTIE4} tcp sport 179 ip length > 60 ip ttl != 1 counter
        ip saddr ${TORTIE4} tcp sport 179 tcp flags & syn != 0 ip ttl 255 counter
      }
      }`,
    });
    const bird = await birdPeer(topo, "  connect retry time 1;");
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [{ address: PEER4, asn: 65001, passive: true }],
    });
    await Promise.all([established(tortie, PEER4), bird.waitEstablished("tortie")]);
    const out = (await peer.exec(["nft", "list", "chain", "ip", "ttl", "in"])).stdout;
    const counts = [...out.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    // The SYN-ACK leaves the listener at 255; every BGP message at 1.
    expect(counts[0]).toBeGreaterThanOrEqual(2); // OPEN, KEEPALIVE
    expect(counts[1]).toBe(0);
    expect(counts[2]).toBeGreaterThanOrEqual(1);
  });

  it("dynamic neighbors: nodes in a prefix connect without being configured, and go when they leave", async () => {
    const topo = await tb.topology({
      hosts: ["n1", "n2", "rr"],
      segments: {
        lan: { members: { n1: ["192.0.2.11/24"], n2: ["192.0.2.12/24"], rr: ["192.0.2.2/24"] } },
      },
    });
    const node = (h: "n1" | "n2", ip: string, prefix: string) =>
      startBird(topo.host(h), {
        routerId: ip,
        localAs: 64512,
        static4: [prefix],
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 64512, ipv4: true }],
      }).then((b) => tb.track(b));
    const tortie = await startTortie(tb, topo.host("rr"), {
      asn: 64512,
      dynamicNeighbors: [{ prefix: "192.0.2.0/24", asn: "internal" }],
    });
    const [n1, n2] = await Promise.all([
      node("n1", "192.0.2.11", "198.51.100.0/26"),
      node("n2", "192.0.2.12", "198.51.100.64/26"),
    ]);
    await Promise.all([n1.waitEstablished("tortie"), n2.waitEstablished("tortie")]);
    await learned(tortie, "192.0.2.11", "198.51.100.0/26");
    await learned(tortie, "192.0.2.12", "198.51.100.64/26");
    expect(tortie.status().peers.map((p) => [p.address, p.dynamic, p.session?.peerAs])).toEqual(
      expect.arrayContaining([
        ["192.0.2.11", true, 64512],
        ["192.0.2.12", true, 64512],
      ]),
    );
    await n2.stop();
    await waitFor(() => !tortie.peer("192.0.2.12"), { what: "dynamic neighbor removed" });
    // n2's routes went with its session; n1's stay.
    const prefixes = tortie.routes().map((r) => r.prefix);
    expect(prefixes).toContain("198.51.100.0/26");
    expect(prefixes).not.toContain("198.51.100.64/26");
  });
});
