// Capability negotiation results (RFC 5492 and the capability RFCs), table-driven.
import { describe, expect, it } from "vitest";
import type { AddPathDirection, CapabilitiesDescriptor } from "./capabilities.js";
import { IPV4_UNICAST, negotiateCapabilities, rolesMatch } from "./capabilities.js";

const V4 = IPV4_UNICAST;
const V6 = { afi: 2, safi: 1 };
const V4M = { afi: 1, safi: 2 };

describe("multiprotocol families (RFC 4760)", () => {
  it.each<[string, CapabilitiesDescriptor, CapabilitiesDescriptor, unknown[]]>([
    ["both v4+v6", { multiprotocol: [V4, V6] }, { multiprotocol: [V6, V4] }, [V4, V6]],
    ["only v6 in common", { multiprotocol: [V4, V6] }, { multiprotocol: [V6] }, [V6]],
    ["nothing in common", { multiprotocol: [V6] }, { multiprotocol: [V4M] }, []],
    ["peer without MP speaks IPv4 unicast", { multiprotocol: [V4, V6] }, {}, [V4]],
    ["we without MP speak IPv4 unicast", {}, { multiprotocol: [V4, V6] }, [V4]],
    ["neither: IPv4 unicast", {}, {}, [V4]],
    ["duplicates collapse", { multiprotocol: [V4, V4] }, { multiprotocol: [V4] }, [V4]],
  ])("%s", (_name, local, remote, want) => {
    expect(negotiateCapabilities(local, remote).families).toEqual(want);
  });
});

describe("ADD-PATH (RFC 7911 §5)", () => {
  const ap = (mode: AddPathDirection) => ({ multiprotocol: [V4], addPath: [{ ...V4, mode }] });
  it.each<[AddPathDirection | undefined, AddPathDirection | undefined, boolean, boolean]>([
    ["both", "both", true, true],
    ["send", "receive", true, false],
    ["receive", "send", false, true],
    ["send", "send", false, false],
    ["receive", "receive", false, false],
    ["both", "receive", true, false],
    ["both", undefined, false, false],
    [undefined, "both", false, false],
  ])("local %s, peer %s → send %s, receive %s", (l, r, send, receive) => {
    const local = l ? ap(l) : { multiprotocol: [V4] };
    const remote = r ? ap(r) : { multiprotocol: [V4] };
    const got = negotiateCapabilities(local, remote).addPath;
    expect(got).toEqual(send || receive ? [{ ...V4, send, receive }] : []);
  });

  it("only for negotiated families", () => {
    const local = { multiprotocol: [V4], addPath: [{ ...V6, mode: "both" as const }] };
    const remote = { multiprotocol: [V4, V6], addPath: [{ ...V6, mode: "both" as const }] };
    expect(negotiateCapabilities(local, remote).addPath).toEqual([]);
  });
});

describe("both-sides capabilities", () => {
  it.each<
    [keyof CapabilitiesDescriptor, "extendedMessage" | "enhancedRouteRefresh" | "fourOctetAs"]
  >([
    ["extendedMessage", "extendedMessage"],
    ["enhancedRouteRefresh", "enhancedRouteRefresh"],
  ])("%s needs both sides", (cap, result) => {
    const on = { [cap]: true } as CapabilitiesDescriptor;
    expect(negotiateCapabilities(on, on)[result]).toBe(true);
    expect(negotiateCapabilities(on, {})[result]).toBe(false);
    expect(negotiateCapabilities({}, on)[result]).toBe(false);
  });

  it("4-octet AS needs both sides (RFC 6793)", () => {
    expect(negotiateCapabilities({ fourOctetAs: 1 }, { fourOctetAs: 2 }).fourOctetAs).toBe(true);
    expect(negotiateCapabilities({ fourOctetAs: 1 }, {}).fourOctetAs).toBe(false);
    expect(negotiateCapabilities({}, { fourOctetAs: 2 }).fourOctetAs).toBe(false);
  });

  it("route refresh: we may send it when the peer advertised it (RFC 2918 §3)", () => {
    expect(negotiateCapabilities({}, { routeRefresh: true }).routeRefresh).toBe(true);
    expect(negotiateCapabilities({ routeRefresh: true }, {}).routeRefresh).toBe(false);
  });

  it("extended next hop: matching tuples only (RFC 8950)", () => {
    const t = { ...V4, nextHopAfi: 2 };
    const other = { ...V4M, nextHopAfi: 2 };
    const got = negotiateCapabilities({ extendedNextHop: [t, other] }, { extendedNextHop: [t] });
    expect(got.extendedNextHop).toEqual([t]);
  });

  it("graceful restart: the peer's parameters when both advertise it (RFC 4724)", () => {
    const gr = {
      restartTime: 120,
      restarting: true,
      families: [{ ...V4, forwardingPreserved: true }],
    };
    const mine = { restartTime: 90, restarting: false, families: [] };
    expect(
      negotiateCapabilities({ gracefulRestart: mine }, { gracefulRestart: gr }).gracefulRestart,
    ).toBe(gr);
    expect(negotiateCapabilities({}, { gracefulRestart: gr }).gracefulRestart).toBeUndefined();
  });

  it("role pair and FQDN are passed through", () => {
    const got = negotiateCapabilities(
      { role: 4 },
      { role: 4, fqdn: { hostname: "bigip1", domain: "lab" } },
    );
    expect(got.role).toEqual({ local: 4, peer: 4 });
    expect(got.peerFqdn).toEqual({ hostname: "bigip1", domain: "lab" });
  });
});

describe("rolesMatch (RFC 9234 Table 2)", () => {
  it("accepts exactly the five allowed pairs of the 25", () => {
    const ok: string[] = [];
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++) if (rolesMatch(a, b)) ok.push(`${a}-${b}`);
    expect(ok).toEqual(["0-3", "1-2", "2-1", "3-0", "4-4"]);
  });
});
