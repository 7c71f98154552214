import { describe, expect, it } from "vitest";
import {
  connectedPrefixes,
  excludedInterfaces,
  interfacePatternMatches,
  networkOf,
} from "./interfaces.js";

describe("bgp-config: interfaces", () => {
  it("BIRD interface patterns: * and ?, anchored, other characters literal", () => {
    expect(interfacePatternMatches("cali*", "cali1234")).toBe(true);
    expect(interfacePatternMatches("cali*", "xcali1")).toBe(false);
    expect(interfacePatternMatches("eth?", "eth0")).toBe(true);
    expect(interfacePatternMatches("eth?", "eth10")).toBe(false);
    expect(interfacePatternMatches("br.1", "br.1")).toBe(true);
    expect(interfacePatternMatches("br.1", "br01")).toBe(false);
  });

  it("networks of interface addresses, IPv4 and IPv6 (RFC 5952 text)", () => {
    expect(networkOf("192.0.2.11/24")).toBe("192.0.2.0/24");
    expect(networkOf("198.51.100.200/32")).toBe("198.51.100.200/32");
    expect(networkOf("2001:db8:0:7::1/64")).toBe("2001:db8:0:7::/64");
    expect(networkOf("2001:db8::1:0:0:1/128")).toBe("2001:db8::1:0:0:1/128");
    expect(networkOf("2001:db8:1:2:3:4:5:6/127")).toBe("2001:db8:1:2:3:4:5:6/127");
    expect(networkOf("192.0.2.1/33")).toBeUndefined();
    expect(networkOf("nonsense/24")).toBeUndefined();
  });

  it("connected prefixes leave out the excluded interfaces, each prefix once", () => {
    const ex = excludedInterfaces("tap", ["ign*"]);
    expect(ex).toEqual(["tap*", "cali*", "kube-ipvs*", "ign*"]);
    expect(
      connectedPrefixes(
        [
          { ifname: "eth0", cidr: "192.0.2.11/24" },
          { ifname: "eth1", cidr: "192.0.2.12/24" },
          { ifname: "tap0", cidr: "198.51.100.1/32" },
          { ifname: "ign0", cidr: "198.51.100.2/32" },
        ],
        ex,
      ),
    ).toEqual(["192.0.2.0/24"]);
  });
});
