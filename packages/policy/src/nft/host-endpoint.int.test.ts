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
const net = require("node:net"), dgram = require("node:dgram");
let n = 0; const ready = () => { if (++n === ${TCP.length + 1}) console.log("ready"); };
for (const p of ${JSON.stringify(TCP)}) net.createServer((s) => s.end()).listen(p, "0.0.0.0", ready);
const u = dgram.createSocket("udp4"); u.on("message", (m, r) => u.send(m, r.port, r.address)); u.bind(53, "0.0.0.0", ready);
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
      hosts: ["node", "ext"],
      links: [
        {
          a: { host: "node", ifname: "eth0", addrs: [`${NODE}/24`] },
          b: { host: "ext", ifname: "eth0", addrs: [`${EXT}/24`] },
        },
      ],
    });
    node = topo.host("node");
    dir = mkdtempSync(join(tmpdir(), "tortie-hep-"));
    tb.defer(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "listen.cjs"), LISTENER);
    writeFileSync(join(dir, "probe.cjs"), PROBE);
    const d = tb.track(
      new Daemon({ label: "listener", host: node, argv: ["node", join(dir, "listen.cjs")] }),
    );
    await d.waitFor(() => d.logs().includes("ready"), { what: "listening" });
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
      const { stdout } = await topo
        .host("ext")
        .exec(["node", join(dir, "probe.cjs"), JSON.stringify([NODE, PROBES])], {
          timeoutMs: 20_000,
        });
      const kernel = JSON.parse(stdout.trim()) as boolean[];
      const want = PROBES.map((p) => {
        const flow =
          p === "icmp"
            ? { src: EXT, dst: NODE, protocol: "ICMP", icmpType: 8, icmpCode: 0 }
            : {
                src: EXT,
                dst: NODE,
                protocol: p.split("/")[0]!.toUpperCase(),
                dstPort: Number(p.split("/")[1]),
              };
        return engine.evaluate(flow, { trace: false }).verdict === "allow";
      });
      const cells = PROBES.map(
        (p, i) =>
          `${p}: engine ${want[i] ? "allow" : "deny"}, kernel ${kernel[i] ? "allow" : "deny"}`,
      );
      expect(cells.filter((_, i) => want[i] !== kernel[i])).toEqual([]);
      if (name.startsWith("without policies")) expect(want.every((v) => !v)).toBe(true);
      else expect(want.some(Boolean) && want.some((v) => !v)).toBe(true);
    });
  }
});
