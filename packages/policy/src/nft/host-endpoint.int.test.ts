// Host endpoints with real packets: an "ext" namespace talks to the "node"
// namespace's uplink, which is a Calico HostEndpoint, and through it to a
// pod behind the node. doNotTrack, preDNAT, normal and applyOnForward
// policies are rendered to raw, pre-DNAT, input/output and forward chains;
// the kernel's verdict for each probe must equal the engine's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon, type Host, requirePrereqs, type Topology, useTestbed } from "@tortie/testbed";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicyEngine } from "../engine/engine.js";
import { NftApplier, nftRunner } from "./apply.js";
import { renderRuleset } from "./render.js";

const skip = requirePrereqs(["root", "netns", "nft"]);

const NODE = "198.51.100.1";
const EXT = "198.51.100.2";
const POD = "192.0.2.10";
const TCP = [22, 80, 8080];
const LISTENER = `
const net = require("node:net"), dgram = require("node:dgram"), os = require("node:os");
// UDP: one socket per local address, so a reply leaves from the address the
// request went to (an unbound socket would pick another source on a node
// with several addresses, and conntrack would not see a reply).
const addrs = Object.values(os.networkInterfaces()).flat().filter((a) => a.family === "IPv4").map((a) => a.address);
let n = 0; const ready = () => { if (++n === ${TCP.length} + addrs.length) console.log("ready"); };
for (const p of ${JSON.stringify(TCP)}) net.createServer((s) => s.end()).listen(p, "0.0.0.0", ready);
for (const a of addrs) { const u = dgram.createSocket("udp4"); u.on("message", (m, r) => u.send(m, r.port, r.address)); u.bind(53, a, ready); }
`;
const PROBE = `
const net = require("node:net"), dgram = require("node:dgram"), { execFile } = require("node:child_process");
const [dst, probes] = JSON.parse(process.argv[2]);
const one = (p) => new Promise((res) => {
  if (p === "icmp") return execFile("ping", ["-c1", "-W2", dst], (e) => res(!e));
  const [kind, port] = p.split("/");
  if (kind === "tcp") {
    const s = net.connect({ host: dst, port: +port }); const t = setTimeout(() => { s.destroy(); res(false); }, 1500);
    s.on("connect", () => { clearTimeout(t); s.destroy(); res(true); }); s.on("error", () => { clearTimeout(t); res(false); });
  } else {
    const s = dgram.createSocket("udp4"); const t = setTimeout(() => { s.close(); res(false); }, 1500);
    s.on("message", () => { clearTimeout(t); s.close(); res(true); }); s.send("x", +port, dst);
  }
});
Promise.all(probes.map(one)).then((r) => console.log(JSON.stringify(r)));
`;
const PROBES = [...TCP.map((p) => `tcp/${p}`), "udp/53", "icmp"];

const hep = {
  apiVersion: "projectcalico.org/v3",
  kind: "HostEndpoint",
  metadata: { name: "node-uplink", labels: { role: "node" } },
  spec: { node: "node", interfaceName: "eth0", expectedIPs: [NODE] },
};
const gnp = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "GlobalNetworkPolicy",
  metadata: { name },
  spec: { selector: 'role == "node"', ...spec },
});

const SCENARIOS: Record<string, unknown[]> = {
  "without policies a host endpoint denies everything": [],
  "normal policy allows ssh; doNotTrack denies UDP; preDNAT denies 8080": [
    gnp("ssh", {
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [22, 8080] } }],
    }),
    gnp("untracked", {
      doNotTrack: true,
      applyOnForward: true,
      ingress: [{ action: "Deny", protocol: "UDP" }],
    }),
    gnp("prednat", {
      preDNAT: true,
      applyOnForward: true,
      ingress: [
        {
          action: "Deny",
          protocol: "TCP",
          source: { nets: ["198.51.100.0/24"] },
          destination: { ports: [8080] },
        },
      ],
    }),
  ],
  "applyOnForward policy limits forwarded traffic to the pod": [
    gnp("only-ssh", {
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [22] } }],
    }),
    gnp("forward-web", {
      applyOnForward: true,
      ingress: [
        {
          action: "Allow",
          protocol: "TCP",
          destination: { nets: ["192.0.2.0/24"], ports: [80, 8080] },
        },
      ],
    }),
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "pod-no-8080", namespace: "prod" },
      spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 22 }] }] },
    },
  ],
  "preDNAT Allow decides before normal policy; profile allows ICMP": [
    gnp("prednat-web", {
      preDNAT: true,
      applyOnForward: true,
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [80] } }],
    }),
    gnp("only-ssh", {
      ingress: [{ action: "Allow", protocol: "TCP", destination: { ports: [22] } }],
    }),
  ],
};

describe.skipIf(skip)("host endpoints: nftables verdicts agree with the engine", () => {
  const tb = useTestbed();
  let topo: Topology;
  let node: Host;
  let dir: string;

  beforeAll(async () => {
    topo = await tb.topology({
      hosts: ["node", "ext", "pod"],
      links: [
        {
          a: { host: "node", ifname: "eth0", addrs: [`${NODE}/24`] },
          b: { host: "ext", ifname: "eth0", addrs: [`${EXT}/24`] },
        },
        {
          a: { host: "node", ifname: "wpod" },
          b: { host: "pod", ifname: "eth0", addrs: [`${POD}/32`] },
        },
      ],
      routes: [
        { host: "pod", to: "192.0.2.1/32", dev: "eth0" },
        { host: "pod", to: "default", via: "192.0.2.1" },
        { host: "node", to: `${POD}/32`, dev: "wpod" },
        { host: "ext", to: "192.0.2.0/24", via: NODE },
      ],
    });
    node = topo.host("node");
    // The pod's gateway: a node address it reaches over ARP on its veth.
    await node.ip(["addr", "add", "192.0.2.1/32", "dev", "lo"]);
    dir = mkdtempSync(join(tmpdir(), "tortie-hep-"));
    tb.defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "listen.cjs"), LISTENER);
    writeFileSync(join(dir, "probe.cjs"), PROBE);
    for (const h of [node, topo.host("pod")]) {
      const d = tb.track(
        new Daemon({
          label: `listener-${h.name}`,
          host: h,
          argv: ["node", join(dir, "listen.cjs")],
        }),
      );
      await d.waitFor(() => d.logs().includes("ready"), { what: "listening" });
    }
  });

  for (const [name, extra] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      const engine = new PolicyEngine();
      const profile = {
        apiVersion: "projectcalico.org/v3",
        kind: "Profile",
        metadata: { name: "allow-icmp" },
        spec: { ingress: [{ action: "Allow", protocol: "ICMP" }], egress: [{ action: "Allow" }] },
      };
      const withProfile = name.includes("profile");
      engine.apply([
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } },
        {
          apiVersion: "projectcalico.org/v3",
          kind: "WorkloadEndpoint",
          metadata: { name: "pod", namespace: "prod", labels: { app: "web" } },
          spec: { ipNetworks: [`${POD}/32`], interfaceName: "wpod" },
        },
        ...(withProfile ? [profile] : []),
        withProfile ? { ...hep, spec: { ...hep.spec, profiles: ["allow-icmp"] } } : hep,
        ...extra,
      ]);
      await new NftApplier(nftRunner({ netns: node.netns })).apply(renderRuleset(engine));
      const kernel: boolean[] = [];
      const want: boolean[] = [];
      const cells: string[] = [];
      const paths = [
        ["ext", EXT, NODE],
        ["ext", EXT, POD],
        ["pod", POD, NODE],
      ] as const;
      for (const [from, src, dst] of paths) {
        const { stdout } = await topo
          .host(from)
          .exec(["node", join(dir, "probe.cjs"), JSON.stringify([dst, PROBES])], {
            timeoutMs: 20_000,
          });
        kernel.push(...(JSON.parse(stdout.trim()) as boolean[]));
        for (const p of PROBES) {
          // Forwarded ext → pod enters by the uplink and leaves by the pod's veth.
          const via = dst === POD ? { inInterface: "eth0", outInterface: "wpod" } : {};
          const [proto, port] = p.split("/");
          const flow =
            p === "icmp"
              ? { src, dst, protocol: "ICMP", icmpType: 8, icmpCode: 0, ...via }
              : { src, dst, protocol: proto!.toUpperCase(), dstPort: Number(port), ...via };
          want.push(engine.evaluate(flow, { trace: false }).verdict === "allow");
          cells.push(`${from} → ${dst === POD ? "pod" : "node"} ${p}`);
        }
      }
      const bad = cells
        .map(
          (c, i) =>
            `${c}: engine ${want[i] ? "allow" : "deny"}, kernel ${kernel[i] ? "allow" : "deny"}`,
        )
        .filter((_, i) => want[i] !== kernel[i]);
      expect(bad).toEqual([]);
      const n = PROBES.length;
      const toNode = want.slice(0, n);
      const toPod = want.slice(n, 2 * n);
      // The pod reaching the host is its own egress' business, not the host endpoint's.
      expect(want.slice(2 * n).every(Boolean)).toBe(true);
      if (name.startsWith("without policies")) {
        expect(toNode.every((v) => !v)).toBe(true);
        // forwarded traffic is not the host endpoint's to deny without applyOnForward policies
        expect(toPod.every(Boolean)).toBe(true);
      } else expect(toNode.some(Boolean) && toNode.some((v) => !v)).toBe(true);
      if (name.startsWith("applyOnForward")) {
        // tcp/22: host endpoint forward policy denies; tcp/80 passes both;
        // tcp/8080 passes the host endpoint but not the pod's own policy; udp and icmp neither
        expect(toPod).toEqual([false, true, false, false, false]);
      }
    });
  }
});
