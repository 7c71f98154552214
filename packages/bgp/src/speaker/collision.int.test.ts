// Connection collisions (RFC 4271 §6.8) made deterministic with a raw peer
// that both accepts Tortie's connection and opens its own, and decides which
// OPEN arrives first.
import type { Socket } from "node:net";
import { requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import {
  formatPrefix,
  type NotificationMessage,
  type UpdateMessage,
  updatePrefixes,
} from "../wire/index.js";
import { startTortie, TORTIE4 } from "./interop.fixture.js";
import { connected, RawConn } from "./raw-peer.fixture.js";
import { connectTcp, listenTcp } from "./transport.js";

const skip = requirePrereqs(["root", "netns"]);
const RAW = "192.0.2.3";

const isCease7 = (m: { type: string }): m is NotificationMessage =>
  m.type === "notification" &&
  (m as NotificationMessage).code === 6 &&
  (m as NotificationMessage).subcode === 7;
const isUpdateWith =
  (prefix: string) =>
  (m: { type: string }): m is UpdateMessage =>
    m.type === "update" &&
    updatePrefixes(m as UpdateMessage).some((p) => formatPrefix(p) === prefix);

describe.skipIf(skip)("connection collisions against a raw peer", () => {
  const tb = useTestbed();

  async function setUp(rawId: string) {
    const topo = await tb.topology({
      hosts: ["raw", "tortie"],
      segments: { lan: { members: { raw: [`${RAW}/24`], tortie: [`${TORTIE4}/24`] } } },
    });
    // The raw peer listens first, so Tortie's outgoing connection lands here.
    const accepted: Socket[] = [];
    const l = await listenTcp({ address: RAW, port: 179, netns: topo.host("raw").nsPath }, (s) =>
      accepted.push(s),
    );
    tb.defer(() => {
      // Tortie may have connected again (a retry after the peer refused it)
      for (const s of accepted) s.destroy();
      return l.close();
    });
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [{ address: RAW, asn: 65099, connectRetryTime: 30 }],
      originate: [{ prefix: "203.0.113.0/26" }],
    });
    const outgoing = new RawConn(
      await waitFor(() => accepted[0], { what: "Tortie's outgoing connection" }),
    );
    tb.defer(() => outgoing.destroy());
    // Tortie sent its OPEN on its own connection.
    await outgoing.waitFor((m) => m.type === "open", "Tortie's OPEN on its connection");
    // Now the raw peer opens a second connection to Tortie: a collision.
    const incoming = new RawConn(
      await connected(
        connectTcp({
          remoteAddress: TORTIE4,
          remotePort: 179,
          localAddress: RAW,
          netns: topo.host("raw").nsPath,
        }),
      ),
    );
    tb.defer(() => incoming.destroy());
    await incoming.waitFor((m) => m.type === "open", "Tortie's OPEN on the peer's connection");
    return { tortie, outgoing, incoming, rawId };
  }

  it("higher peer identifier: the peer's connection wins even when it reaches Established first", async () => {
    const { tortie, outgoing, incoming } = await setUp("192.0.2.3");
    // OPEN + KEEPALIVE on the peer's connection only: Tortie's companion FSM is Established first.
    incoming.open(65099, "192.0.2.3");
    incoming.keepalive();
    await waitFor(() => tortie.peer(RAW)?.state === "Established", { what: "Established" });
    // Tortie closes its own connection with Cease / Connection Collision Resolution …
    await outgoing.waitFor(isCease7, "Cease/7 on Tortie's own connection");
    // … and its routes go out on the surviving one.
    await incoming.waitFor(
      isUpdateWith("203.0.113.0/26"),
      "Tortie's route on the peer's connection",
    );
    expect(tortie.peer(RAW)?.connection?.direction).toBe("incoming");
    expect(incoming.closed).toBe(false);
    // Settling the collision is not an error of the peer's (RFC 4271 §6.8).
    expect(tortie.peer(RAW)?.lastError).toBeUndefined();
  });

  it("the peer settles it with Cease/7, then refuses our AS: the status names the refusal, never the collision", async () => {
    const { tortie, outgoing, incoming } = await setUp("192.0.2.3");
    const seen: string[] = [];
    const poll = setInterval(() => {
      const e = tortie.peer(RAW)?.lastError;
      const n = e?.received ?? e?.sent;
      if (n) seen.push(`${n.code}/${n.subcode}`);
    }, 5);
    tb.defer(() => clearInterval(poll));
    // The peer closes Tortie's connection (its own survives, §6.8) …
    outgoing.send({ type: "notification", code: 6, subcode: 7, data: new Uint8Array(0) });
    outgoing.destroy();
    await waitFor(() => tortie.peer(RAW)?.connection?.direction === "incoming", {
      what: "the peer's connection promoted to the session",
    });
    // … then refuses Tortie's OPEN on its own connection: Bad Peer AS.
    incoming.send({ type: "notification", code: 2, subcode: 2, data: new Uint8Array(0) });
    await waitFor(() => tortie.peer(RAW)?.lastError?.received?.subcode === 2, {
      what: "Bad Peer AS recorded",
    });
    clearInterval(poll);
    expect(seen).not.toContain("6/7");
    expect(tortie.peer(RAW)?.lastError?.received).toMatchObject({ code: 2, subcode: 2 });
  });

  it("lower peer identifier: Tortie keeps its own connection and closes the peer's", async () => {
    const { tortie, outgoing, incoming } = await setUp("192.0.2.1");
    // OPEN on the peer's connection first (companion in OpenConfirm), then on Tortie's.
    incoming.open(65099, "192.0.2.1");
    await waitFor(() => incoming.received.some((m) => m.type === "keepalive"), {
      what: "KEEPALIVE on the peer's connection",
    });
    outgoing.open(65099, "192.0.2.1");
    // §6.8: Tortie (192.0.2.2) > peer (192.0.2.1) → keep the connection Tortie opened.
    await incoming.waitFor(isCease7, "Cease/7 on the peer's connection");
    outgoing.keepalive();
    await waitFor(() => tortie.peer(RAW)?.state === "Established", { what: "Established" });
    await outgoing.waitFor(isUpdateWith("203.0.113.0/26"), "Tortie's route on its own connection");
    expect(tortie.peer(RAW)?.connection?.direction).toBe("outgoing");
  });
});
