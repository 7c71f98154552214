import type { Socket } from "node:net";
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { ACCEPTS_PER_TURN, connectTcp, listenTcp } from "./transport.js";

const skip = requirePrereqs(["root", "netns"]);

function firstData(s: import("node:net").Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once("data", (d) => resolve(d.toString()));
    s.once("error", reject);
  });
}

/**
 * Opens `n` connections from `from` to 192.0.2.1:1179 and keeps this thread
 * busy while the kernel completes their handshakes (Node connects on the
 * next tick), so all of them wait in the listener's queue together.
 */
async function queueConnections(from: string, n: number): Promise<Socket[]> {
  const clients: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const c = connectTcp({ remoteAddress: "192.0.2.1", remotePort: 1179, netns: from });
    c.on("error", () => {});
    clients.push(c);
  }
  await new Promise((r) => process.nextTick(r));
  const until = Date.now() + 300;
  while (Date.now() < until) {
    // (busy: no turn of the event loop)
  }
  return clients;
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

  it("accepts connections queued together in one turn of the event loop, at most ACCEPTS_PER_TURN", async () => {
    // libuv takes one connection per turn: without the listener's own
    // accepts, these would take one turn each (checked: 100 turns).
    const topo = await tb.topology({
      hosts: ["a", "b"],
      segments: { lan: { members: { a: ["192.0.2.1/24"], b: ["192.0.2.2/24"] } } },
    });
    let turn = 0;
    let spinning = true;
    const spin = () => {
      turn++;
      if (spinning) setImmediate(spin);
    };
    const acceptedIn: number[] = [];
    const l = await listenTcp(
      { address: "192.0.2.1", port: 1179, netns: topo.host("a").nsPath },
      (s) => {
        acceptedIn.push(turn);
        s.destroy();
      },
    );
    const total = ACCEPTS_PER_TURN + 36;
    let clients: Socket[] = [];
    try {
      clients = await queueConnections(topo.host("b").nsPath, total);
      setImmediate(spin);
      await waitFor(() => acceptedIn.length === total, {
        timeoutMs: 10_000,
        what: "every connection accepted",
      });
      const perTurn = new Map<number, number>();
      for (const t of acceptedIn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
      expect([...perTurn.values()]).toEqual([ACCEPTS_PER_TURN, 36]);
    } finally {
      spinning = false;
      for (const c of clients) c.destroy();
      await l.close();
    }
  });

  it("a listener closed by the handler of its first connection accepts no more and reports no error", async () => {
    const topo = await tb.topology({
      hosts: ["a", "b"],
      segments: { lan: { members: { a: ["192.0.2.1/24"], b: ["192.0.2.2/24"] } } },
    });
    const errors: Error[] = [];
    let accepted = 0;
    let closed: Promise<void> | undefined;
    const l = await listenTcp(
      { address: "192.0.2.1", port: 1179, netns: topo.host("a").nsPath },
      (s) => {
        accepted++;
        s.destroy();
        closed ??= l.close();
      },
      (e) => errors.push(e),
    );
    let clients: Socket[] = [];
    try {
      clients = await queueConnections(topo.host("b").nsPath, 5);
      await waitFor(() => closed !== undefined, { timeoutMs: 5000, what: "the first connection" });
      await closed;
      await new Promise((r) => setTimeout(r, 100));
      expect(accepted).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});
