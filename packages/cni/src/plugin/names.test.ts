import { describe, expect, it } from "vitest";
import {
  HOST_VETH_MAC,
  hostVethName,
  linkLocalFromMac,
  POD_GATEWAY_V6,
  workloadKey,
} from "./names.js";
import { planPod, podAddresses, resultFor } from "./plan.js";

describe("names", () => {
  it("derives link-local addresses by modified EUI-64 (RFC 4291 appendix A)", () => {
    expect(linkLocalFromMac(HOST_VETH_MAC)).toBe("fe80::ecee:eeff:feee:eeee");
    expect(POD_GATEWAY_V6).toBe("fe80::ecee:eeff:feee:eeee");
    expect(linkLocalFromMac("00:00:5e:00:53:01")).toBe("fe80::200:5eff:fe00:5301");
    expect(() => linkLocalFromMac("zz")).toThrow(TypeError);
  });

  it("names host veths deterministically, 15 characters, from pod or container", () => {
    const k = workloadKey({ K8S_POD_NAMESPACE: "default", K8S_POD_NAME: "web-0" }, "c1", "eth0");
    expect(k).toBe("default.web-0");
    expect(workloadKey({}, "c1", "eth0")).toBe("c1");
    expect(workloadKey({ K8S_POD_NAME: "x" }, "c1", "net1")).toBe("c1.net1");
    const n = hostVethName(k);
    expect(n).toMatch(/^cali[0-9a-f]{11}$/);
    expect(hostVethName(k)).toBe(n);
    expect(hostVethName("default.web-1")).not.toBe(n);
    expect(hostVethName(k, "tor")).toMatch(/^tor[0-9a-f]{12}$/);
    expect(() => hostVethName(k, "")).toThrow(TypeError);
  });
});

describe("pod plan", () => {
  const addrs = podAddresses([{ address: "192.0.2.7/24" }, { address: "2001:db8::7/64" }]);

  it("makes host prefixes of IPAM's addresses", () => {
    expect(addrs).toEqual([
      { family: "4", ip: "192.0.2.7", cidr: "192.0.2.7/32" },
      { family: "6", ip: "2001:db8::7", cidr: "2001:db8::7/128" },
    ]);
    expect(() => podAddresses([{ address: "bad" }])).toThrow(TypeError);
  });

  it("plans proxy ARP/NDP, the gateway routes and the result", () => {
    const p = planPod({
      hostVeth: "cali0",
      podIfname: "eth0",
      netns: "/n",
      mtu: 1450,
      addresses: addrs,
    });
    expect(p.hostSysctls).toContainEqual(["net/ipv4/conf/cali0/proxy_arp", "1"]);
    expect(p.hostSysctls).toContainEqual(["net/ipv6/conf/cali0/proxy_ndp", "1"]);
    expect(p.podSysctls).toEqual([["net/ipv6/conf/eth0/accept_dad", "0"]]);
    expect(p.podRoutes).toEqual([
      { dst: "169.254.1.1/32", family: 4, scope: "link" },
      { dst: "0.0.0.0/0", family: 4, gateway: "169.254.1.1" },
      { dst: "::/0", family: 6, gateway: POD_GATEWAY_V6 },
    ]);
    const r = resultFor(p, "02:00:00:00:00:01", "1.1.0");
    expect(r.interfaces).toEqual([
      { name: "cali0", mac: HOST_VETH_MAC, mtu: 1450 },
      { name: "eth0", mac: "02:00:00:00:00:01", mtu: 1450, sandbox: "/n" },
    ]);
    expect(r.ips?.map((i) => [i.address, i.interface])).toEqual([
      ["192.0.2.7/32", 1],
      ["2001:db8::7/128", 1],
    ]);
    expect(r.routes).toEqual([
      { dst: "0.0.0.0/0", gw: "169.254.1.1" },
      { dst: "::/0", gw: POD_GATEWAY_V6 },
    ]);
  });

  it("plans no IPv6 settings for an IPv4-only pod", () => {
    const p = planPod({
      hostVeth: "c",
      podIfname: "eth0",
      netns: "/n",
      mtu: 1500,
      addresses: addrs.slice(0, 1),
    });
    expect(p.hostSysctls.some(([k]) => k.includes("ipv6"))).toBe(false);
    expect(p.podSysctls).toEqual([]);
  });
});
