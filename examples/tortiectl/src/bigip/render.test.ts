import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type BigipInputs,
  BigipRenderError,
  durationSeconds,
  parsePeerIP,
  peeringNodes,
  renderBigipConfig,
} from "./render.js";

const golden = (name: string) => readFileSync(new URL(`golden/${name}`, import.meta.url), "utf8");

// F5's lab: three nodes in AS 64512 peering over iBGP with BIG-IP (AS 64512).
const lab: BigipInputs = {
  clusterAs: 64512,
  nodes: [
    { name: "node2", labels: {}, ipv4: "192.0.2.12" },
    { name: "node1", labels: {}, ipv4: "192.0.2.11" },
    { name: "node3", labels: {}, ipv4: "192.0.2.13" },
  ],
  peer: { name: "bigip", address: "192.0.2.250", asNumber: 64512, hasPassword: false },
};

describe("bigip config", () => {
  it("renders F5's lab configuration for tmsh + imish", () => {
    expect(renderBigipConfig(lab, { format: "tmsh" })).toBe(golden("f5-lab.tmsh.txt"));
  });

  it("renders the FRR equivalent", () => {
    expect(renderBigipConfig(lab, { format: "frr" })).toBe(golden("f5-lab.frr.txt"));
  });

  it("adds graceful restart, MD5 and BFD lines when asked", () => {
    const text = renderBigipConfig(
      { ...lab, peer: { ...lab.peer, hasPassword: true, restartTimeSeconds: 120 } },
      { format: "tmsh", password: "s3cret", bfd: true },
    );
    expect(text).toContain("tmsh modify net route-domain 0 routing-protocol add { BGP BFD }");
    expect(text).toContain(" bgp graceful-restart restart-time 120");
    expect(text).toContain(" neighbor calico-k8s password s3cret");
    expect(text).toContain(" neighbor calico-k8s fall-over bfd");
    const frr = renderBigipConfig(
      { ...lab, peer: { ...lab.peer, hasPassword: true } },
      { format: "frr", password: "s3cret", bfd: true },
    );
    expect(frr).toContain(" neighbor calico-k8s bfd");
  });

  it("refuses a peer with a password when no secret is given, and a secret that breaks the text", () => {
    const withPw = { ...lab, peer: { ...lab.peer, hasPassword: true } };
    expect(() => renderBigipConfig(withPw, { format: "tmsh" })).toThrow(/--password-file/);
    expect(() => renderBigipConfig(withPw, { format: "tmsh", password: "a b" })).toThrow(
      BigipRenderError,
    );
    expect(() => renderBigipConfig(withPw, { format: "tmsh", password: "a\nneighbor x" })).toThrow(
      BigipRenderError,
    );
  });

  it("chooses nodes as Calico does: global, one node, or a node selector", () => {
    const nodes = [
      { name: "a", labels: { rack: "r1" }, ipv4: "192.0.2.1" },
      { name: "b", labels: { rack: "r2" }, ipv4: "192.0.2.2" },
    ];
    const peer = { name: "p", address: "192.0.2.250", asNumber: 65000, hasPassword: false };
    expect(peeringNodes({ clusterAs: 64512, nodes, peer }).map((n) => n.name)).toEqual(["a", "b"]);
    expect(
      peeringNodes({ clusterAs: 64512, nodes, peer: { ...peer, node: "b" } }).map((n) => n.name),
    ).toEqual(["b"]);
    expect(
      peeringNodes({
        clusterAs: 64512,
        nodes,
        peer: { ...peer, nodeSelector: "rack == 'r1'" },
      }).map((n) => n.name),
    ).toEqual(["a"]);
  });

  it("gives per-neighbour remote-as when nodes have different ASes, and a v6 group for IPv6 nodes", () => {
    const text = renderBigipConfig(
      {
        clusterAs: 64512,
        nodes: [
          { name: "a", labels: {}, ipv4: "192.0.2.1", ipv6: "2001:db8::1" },
          { name: "b", labels: {}, ipv4: "192.0.2.2", asNumber: 64513 },
        ],
        peer: { name: "p", address: "192.0.2.250", asNumber: 65000, hasPassword: false },
      },
      { format: "frr" },
    );
    expect(text).not.toContain("neighbor calico-k8s remote-as");
    expect(text).toContain(
      " neighbor 192.0.2.1 remote-as 64512\n neighbor 192.0.2.1 peer-group calico-k8s",
    );
    expect(text).toContain(
      " neighbor 192.0.2.2 remote-as 64513\n neighbor 192.0.2.2 peer-group calico-k8s",
    );
    expect(text).toContain(" neighbor 2001:db8::1 peer-group calico-k8s-v6");
    expect(text).toContain(" address-family ipv6 unicast\n  neighbor calico-k8s-v6 activate");
  });

  it("fails clearly when no node peers", () => {
    expect(() => renderBigipConfig({ ...lab, nodes: [] }, { format: "tmsh" })).toThrow(
      /no node with a BGP address/,
    );
  });

  it("parses peerIP and durations as Calico writes them", () => {
    expect(parsePeerIP("192.0.2.250")).toEqual({ address: "192.0.2.250" });
    expect(parsePeerIP("192.0.2.250:1179")).toEqual({ address: "192.0.2.250", port: 1179 });
    expect(parsePeerIP("[2001:db8::1]:179")).toEqual({ address: "2001:db8::1", port: 179 });
    expect(durationSeconds("120s")).toBe(120);
    expect(durationSeconds("2m30s")).toBe(150);
    expect(durationSeconds("1h")).toBe(3600);
    expect(() => durationSeconds("2 minutes")).toThrow(BigipRenderError);
  });
});
