import { requirePrereqs, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { connectTcp, listenTcp } from "./transport.js";

const skip = requirePrereqs(["root", "netns"]);

function firstData(s: import("node:net").Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once("data", (d) => resolve(d.toString()));
    s.once("error", reject);
  });
}

describe.skipIf(skip)("transport: libc-made sockets in namespaces", () => {
  const tb = useTestbed();

  it("listens and connects across namespaces, from a bound source, IPv4 and IPv6", async () => {
    const topo = await tb.topology({
      hosts: ["a", "b"],
      segments: {
        lan: {
          members: { a: ["192.0.2.1/24", "2001:db8::1/64"], b: ["192.0.2.2/24", "2001:db8::2/64"] },
        },
      },
    });
    for (const [la, lb] of [
      ["192.0.2.1", "192.0.2.2"],
      ["2001:db8::1", "2001:db8::2"],
    ] as const) {
      const l = await listenTcp({ address: la, port: 1179, netns: topo.host("a").nsPath }, (s) =>
        s.end(`${s.remoteAddress}`),
      );
      const c = connectTcp({
        remoteAddress: la,
        remotePort: 1179,
        localAddress: lb,
        netns: topo.host("b").nsPath,
      });
      expect(await firstData(c)).toBe(lb);
      c.destroy();
      await l.close();
    }
  });

  it("TCP-MD5: connects with the right key, never with a wrong one or none", async () => {
    const topo = await tb.topology({
      hosts: ["a", "b"],
      segments: { lan: { members: { a: ["192.0.2.1/24"], b: ["192.0.2.2/24"] } } },
    });
    const l = await listenTcp(
      { address: "192.0.2.1", port: 1179, netns: topo.host("a").nsPath },
      (s) => s.end("ok"),
    );
    l.setMd5("192.0.2.2", "s3cret");
    const ok = connectTcp({
      remoteAddress: "192.0.2.1",
      remotePort: 1179,
      md5: "s3cret",
      netns: topo.host("b").nsPath,
    });
    expect(await firstData(ok)).toBe("ok");
    ok.destroy();
    for (const md5 of ["wrong", undefined]) {
      const bad = connectTcp({
        remoteAddress: "192.0.2.1",
        remotePort: 1179,
        netns: topo.host("b").nsPath,
        ...(md5 ? { md5 } : {}),
      });
      const outcome = await Promise.race([
        firstData(bad).then(
          () => "connected",
          (e: Error) => `error ${e.message}`,
        ),
        new Promise((r) => setTimeout(() => r("no answer"), 1500)),
      ]);
      // the listener drops unsigned or wrongly signed SYNs silently (RFC 2385 §2.0)
      expect(outcome).toBe("no answer");
      bad.destroy();
    }
    await l.close();
  });

  it("GTSM: a listener with minTtl 255 refuses a peer one hop away", async () => {
    const topo = await tb.topology({
      hosts: ["a", "r", "b"],
      links: [
        { a: { host: "a", addrs: ["192.0.2.1/30"] }, b: { host: "r", addrs: ["192.0.2.2/30"] } },
        {
          a: { host: "r", addrs: ["198.51.100.1/30"] },
          b: { host: "b", addrs: ["198.51.100.2/30"] },
        },
      ],
      routes: [
        { host: "a", to: "198.51.100.0/30", via: "192.0.2.2" },
        { host: "b", to: "192.0.2.0/30", via: "198.51.100.1" },
      ],
    });
    const l = await listenTcp(
      { address: "192.0.2.1", port: 1179, minTtl: 255, netns: topo.host("a").nsPath },
      (s) => s.end("ok"),
    );
    const direct = connectTcp({
      remoteAddress: "192.0.2.1",
      remotePort: 1179,
      ttl: 255,
      netns: topo.host("r").nsPath,
    });
    expect(await firstData(direct)).toBe("ok");
    direct.destroy();
    const routed = connectTcp({
      remoteAddress: "192.0.2.1",
      remotePort: 1179,
      ttl: 255,
      netns: topo.host("b").nsPath,
    });
    const outcome = await Promise.race([
      firstData(routed).then(
        () => "connected",
        () => "error",
      ),
      new Promise((r) => setTimeout(() => r("no answer"), 1500)),
    ]);
    expect(outcome).toBe("no answer");
    routed.destroy();
    await l.close();
  });
});
