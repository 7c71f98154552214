// The FSM against real BGP daemons: a minimal edge (below, test-only) runs the
// pure reducer over real TCP with the package's socket layer and wire codec,
// and BIRD 2, FRR 8, GoBGP 3 and ExaBGP 4 are the peers. What is proven: sessions come
// up with each; hold time is negotiated as the smaller value and the
// KEEPALIVE/hold timers driven by `nextDeadline`/`fireDue` keep the session up;
// a frozen peer makes our HoldTimer expire and the NOTIFICATION reaches BIRD;
// an administrative shutdown from BIRD is seen as NotifMsg; back-off restarts
// re-establish, and against a killed BIRD the reconnect attempts double their
// spacing up to the maximum; a bad peer AS is answered with OPEN error 2/2;
// a passive FSM accepts BIRD's connection.
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import {
  type Bird,
  type BirdSpec,
  requirePrereqs,
  sleep,
  startBird,
  startExabgp,
  startFrr,
  startGobgp,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectTcp, type Listener, listenTcp } from "../speaker/transport.js";
import {
  BgpDecodeError,
  decodeMessage,
  encodeMessage,
  Framer,
  KEEPALIVE,
  notificationMessage,
  type OpenMessage,
} from "../wire/index.js";
import { formatBgpId, parseBgpId } from "./bgp-id.js";
import { connectionPolicy } from "./collision.js";
import type { FsmOptions } from "./config.js";
import type { NotificationDescriptor } from "./notification.js";
import type { OpenDescriptor } from "./open.js";
import { createFsm, step } from "./step.js";
import { fireDue, nextDeadline } from "./timers.js";
import type { Fsm, FsmAction, FsmEvent, SessionState, StepResult } from "./types.js";

const skip = requirePrereqs(["root", "netns", "bird", "frr", "gobgp", "exabgp"]);

const US = "192.0.2.1";

/** The wire codec's OPEN → the FSM's plain descriptor. */
function describeOpen(m: OpenMessage): OpenDescriptor {
  const caps = m.capabilities;
  const four = caps.find((c) => c.type === "four-octet-as");
  return {
    version: m.version,
    myAs: m.myAs,
    holdTime: m.holdTime,
    bgpId: parseBgpId(m.bgpId),
    capabilities: {
      multiprotocol: caps.flatMap((c) =>
        c.type === "multiprotocol" ? [{ afi: c.afi, safi: c.safi }] : [],
      ),
      routeRefresh: caps.some((c) => c.type === "route-refresh"),
      extendedMessage: caps.some((c) => c.type === "extended-message"),
      enhancedRouteRefresh: caps.some((c) => c.type === "enhanced-route-refresh"),
      ...(four && four.type === "four-octet-as" ? { fourOctetAs: four.asn } : {}),
    },
  };
}

/** A test-only edge: one peer, real sockets and timers around the pure FSM. */
class Edge {
  fsm: Fsm;
  readonly states: SessionState[] = [];
  readonly actions: FsmAction[] = [];
  /** performance.now() of every `connect` action. */
  readonly connectTimes: number[] = [];
  private sock: Socket | undefined;
  private framer = new Framer();
  private timer: NodeJS.Timeout | undefined;
  private listener: Listener | undefined;

  constructor(
    options: FsmOptions,
    private readonly net: { netns: string; peer: string },
  ) {
    this.fsm = createFsm(options, performance.now());
  }

  dispatch(e: FsmEvent): void {
    this.apply(step(this.fsm, e, performance.now()));
  }

  private apply(r: StepResult): void {
    if (r.state.state !== this.fsm.state) this.states.push(r.state.state);
    this.fsm = r.state;
    for (const a of r.actions) this.perform(a);
    clearTimeout(this.timer);
    const due = nextDeadline(this.fsm);
    if (due) {
      this.timer = setTimeout(
        () => this.apply(fireDue(this.fsm, performance.now())),
        Math.max(0, due.at - performance.now()),
      );
    }
  }

  private write(bytes: Uint8Array): void {
    this.sock?.write(bytes);
  }

  private perform(a: FsmAction): void {
    this.actions.push(a);
    if (a.type === "connect") this.connectTimes.push(performance.now());
    const c = this.fsm.config;
    switch (a.type) {
      case "connect":
        this.attach(
          connectTcp({
            remoteAddress: this.net.peer,
            remotePort: 179,
            localAddress: US,
            netns: this.net.netns,
          }),
          true,
        );
        return;
      case "drop": {
        const s = this.sock;
        this.sock = undefined;
        s?.end();
        if (s) setTimeout(() => s.destroy(), 500);
        return;
      }
      case "send-open":
        this.write(
          encodeMessage({
            type: "open",
            version: 4,
            myAs: c.localAs > 0xffff ? 23456 : c.localAs,
            holdTime: c.holdTime,
            bgpId: formatBgpId(c.bgpId),
            capabilities: [
              { type: "multiprotocol", afi: 1, safi: 1 },
              { type: "route-refresh" },
              { type: "four-octet-as", asn: c.localAs },
            ],
          }),
        );
        return;
      case "send-keepalive":
        this.write(encodeMessage(KEEPALIVE));
        return;
      case "send-notification": {
        const n = a.notification;
        this.write(encodeMessage(notificationMessage(n.code, n.subcode, n.data)));
        return;
      }
      default:
        return; // session-up/down, process-update, release, reject: recorded only
    }
  }

  private attach(s: Socket, outgoing: boolean): void {
    this.sock = s;
    this.framer = new Framer();
    s.on("error", () => {});
    if (outgoing)
      s.once("connect", () => this.sock === s && this.dispatch({ type: "Tcp_CR_Acked" }));
    s.on("close", () => {
      if (this.sock !== s) return;
      this.sock = undefined;
      this.dispatch({ type: "TcpConnectionFails" });
    });
    s.on("data", (chunk: Buffer) => {
      if (this.sock !== s) return;
      let messages: Uint8Array[];
      try {
        messages = this.framer.push(new Uint8Array(chunk));
      } catch (e) {
        this.decodeError(e);
        return;
      }
      for (const m of messages) {
        if (this.sock !== s) return;
        try {
          const msg = decodeMessage(m).message;
          if (msg.type === "open") this.dispatch({ type: "BGPOpen", open: describeOpen(msg) });
          else if (msg.type === "keepalive") this.dispatch({ type: "KeepAliveMsg" });
          else if (msg.type === "update") this.dispatch({ type: "UpdateMsg", update: msg });
          else if (msg.type === "notification") {
            const notification = { code: msg.code, subcode: msg.subcode, data: msg.data };
            this.dispatch({ type: "NotifMsg", notification });
          }
        } catch (e) {
          this.decodeError(e);
        }
      }
    });
  }

  private decodeError(e: unknown): void {
    if (!(e instanceof BgpDecodeError)) throw e;
    const notification = { code: e.code, subcode: e.subcode, data: e.data };
    const type = e.code === 2 ? "BGPOpenMsgErr" : e.code === 3 ? "UpdateMsgErr" : "BGPHeaderErr";
    this.dispatch({ type, notification });
  }

  /** Listens on US:179 in our namespace; connections go where `connectionPolicy` says. */
  async listen(): Promise<void> {
    this.listener = await listenTcp({ address: US, port: 179, netns: this.net.netns }, (s) => {
      if (s.remoteAddress !== this.net.peer || connectionPolicy(this.fsm) !== "use") {
        s.destroy();
        return;
      }
      this.attach(s, false);
      this.dispatch({ type: "TcpConnectionConfirmed" });
    });
  }

  sent(type: FsmAction["type"]): number {
    return this.actions.filter((a) => a.type === type).length;
  }

  notificationsSent(): NotificationDescriptor[] {
    return this.actions.flatMap((a) => (a.type === "send-notification" ? [a.notification] : []));
  }

  waitState(state: SessionState, timeoutMs = 30_000): Promise<true> {
    return waitFor(() => this.fsm.state === state, {
      what: `FSM ${state} (now ${this.fsm.state})`,
      timeoutMs,
      intervalMs: 50,
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.sock?.destroy();
    this.sock = undefined;
    await this.listener?.close();
  }
}

const FAST: Partial<FsmOptions> = {
  connectRetryTime: 2,
  idleHoldTime: 0.5,
  maxIdleHoldTime: 4,
};

const BIRD_SPEC: BirdSpec = {
  routerId: "192.0.2.2",
  localAs: 64512,
  peers: [
    {
      name: "tortie",
      neighbor: US,
      neighborAs: 64512,
      localAddress: "192.0.2.2",
      holdTime: 6,
      ipv4: true,
    },
  ],
};

describe.skipIf(skip)("FSM interop with BIRD 2", () => {
  const tb = useTestbed();
  let topo: Topology;
  let bird: Bird;

  let current: Edge | undefined;
  beforeAll(async () => {
    topo = await tb.topology({
      hosts: ["t", "b"],
      segments: { lan: { members: { t: [`${US}/24`], b: ["192.0.2.2/24"] } } },
    });
    bird = tb.track(await startBird(topo.host("b"), BIRD_SPEC));
  });

  afterEach(async () => {
    // Each test's edge stops (with a Cease, when a session is up) before the next starts.
    current?.dispatch({ type: "ManualStop" });
    await current?.close();
    current = undefined;
    await bird.waitFor(
      async () => !(await bird.protocol("tortie"))?.info.startsWith("Established"),
      {
        what: "BIRD session down between tests",
        timeoutMs: 10_000,
      },
    );
  });

  async function edge(options: Partial<FsmOptions> = {}): Promise<Edge> {
    current = new Edge(
      { localAs: 64512, bgpId: parseBgpId(US), peerAs: 64512, holdTime: 30, ...FAST, ...options },
      { netns: topo.host("t").nsPath, peer: "192.0.2.2" },
    );
    return current;
  }

  it("establishes, negotiates the smaller hold time, and keeps the session up with KEEPALIVEs", async () => {
    const e = await edge();
    e.dispatch({ type: "ManualStart" });
    await e.waitState("Established");
    await bird.waitEstablished("tortie", { timeoutMs: 10_000 });
    expect(e.fsm.session?.holdTime).toBe(6); // min(30, 6)
    expect(e.fsm.session?.keepaliveTime).toBe(2);
    expect(e.fsm.session?.peerBgpId).toBe(parseBgpId("192.0.2.2"));
    expect(e.fsm.session?.capabilities.fourOctetAs).toBe(true);
    expect(e.fsm.session?.capabilities.families).toEqual([{ afi: 1, safi: 1 }]);
    expect(await bird.protocolDetails("tortie")).toMatch(/Hold timer:\s+\S+\/6/);

    // Longer than the hold time: both sides' KEEPALIVEs keep it up.
    const before = e.sent("send-keepalive");
    await sleep(7_000);
    expect(e.fsm.state).toBe("Established");
    expect((await bird.protocol("tortie"))?.info).toMatch(/^Established/);
    expect(e.sent("send-keepalive") - before).toBeGreaterThanOrEqual(3);
    expect(e.states).toEqual(["Connect", "OpenSent", "OpenConfirm", "Established"]);
  });

  it("a frozen BIRD: our HoldTimer expires, BIRD gets Hold Timer Expired, the session comes back", async () => {
    const e = await edge();
    e.dispatch({ type: "ManualStart" });
    await e.waitState("Established");
    bird.signal("SIGSTOP");
    try {
      await e.waitState("Idle", 15_000);
      expect(e.fsm.lastError?.event).toBe("HoldTimer_Expires");
      expect(e.notificationsSent()).toContainEqual({
        code: 4,
        subcode: 0,
        data: new Uint8Array(0),
      });
      expect(e.actions.some((a) => a.type === "session-down")).toBe(true);
    } finally {
      bird.signal("SIGCONT");
    }
    await e.waitState("Established", 30_000);
    await bird.waitEstablished("tortie", { timeoutMs: 10_000 });
    // BIRD logs the NOTIFICATION it read after the thaw.
    expect(bird.logs()).toMatch(/tortie: Received: Hold timer expired/);
  });

  it("BIRD's administrative shutdown arrives as NotifMsg Cease/2; after enable, back-off brings it back", async () => {
    const e = await edge();
    e.dispatch({ type: "ManualStart" });
    await e.waitState("Established");
    await bird.waitEstablished("tortie", { timeoutMs: 10_000 });
    await bird.birdc("disable tortie");
    await e.waitState("Idle", 10_000);
    expect(e.fsm.lastError?.event).toBe("NotifMsg");
    expect(e.fsm.lastError?.received?.code).toBe(6);
    expect(e.fsm.lastError?.received?.subcode).toBe(2);
    const down = e.actions.find((a) => a.type === "session-down");
    expect(down?.type === "session-down" && down.reason.received?.subcode).toBe(2);
    // The automatic restart keeps trying with growing IdleHold; BIRD refuses while disabled.
    await sleep(3_000);
    expect(e.fsm.state).not.toBe("Established");
    expect(e.fsm.idleHoldTime).toBeGreaterThan(0.5);
    await bird.birdc("enable tortie");
    await e.waitState("Established", 30_000);
    e.dispatch({ type: "ManualStop" });
    expect(e.notificationsSent().at(-1)).toEqual({ code: 6, subcode: 2, data: new Uint8Array(0) });
    await e.close();
    await bird.waitFor(
      async () => !(await bird.protocol("tortie"))?.info.startsWith("Established"),
      {
        what: "BIRD sees our Cease",
        timeoutMs: 10_000,
      },
    );
  });

  it("a peer AS other than configured: we answer BIRD's OPEN with OPEN error Bad Peer AS", async () => {
    const e = await edge({ peerAs: 65099 });
    e.dispatch({ type: "ManualStart" });
    await waitFor(() => e.fsm.lastError !== undefined, { what: "an error", timeoutMs: 20_000 });
    expect(e.fsm.lastError?.reason).toMatch(/peer AS 64512, expected 65099/);
    expect(e.notificationsSent()[0]).toEqual({ code: 2, subcode: 2, data: new Uint8Array(0) });
    e.dispatch({ type: "ManualStop" });
    await bird.waitFor(async () => /Bad peer AS/i.test(await bird.protocolDetails("tortie")), {
      what: "BIRD reports Bad peer AS",
      timeoutMs: 10_000,
    });
  });

  it("a passive FSM accepts BIRD's connection and establishes", async () => {
    const e = await edge({ passive: true });
    await e.listen();
    e.dispatch({ type: "ManualStart" });
    expect(e.fsm.state).toBe("Active");
    await e.waitState("Established", 30_000);
    expect(e.fsm.connection).toBe("incoming");
    expect(e.sent("connect")).toBe(0);
    await bird.waitEstablished("tortie", { timeoutMs: 10_000 });
  });

  it("BIRD killed and restarted: reconnect attempts back off 0.5, 1, 2, 4, 4 s, then the session returns", async () => {
    const e = await edge();
    e.dispatch({ type: "ManualStart" });
    await e.waitState("Established");
    bird.signal("SIGKILL");
    await bird.exited;
    await e.waitState("Idle", 10_000);
    const lost = e.connectTimes.length;
    await waitFor(() => e.connectTimes.length >= lost + 5, {
      what: "five refused attempts",
      timeoutMs: 20_000,
    });
    const gaps = e.connectTimes
      .slice(lost - 1 + 1)
      .map((t, i, all) => (i === 0 ? 0 : t - all[i - 1]!));
    // Refused connects fail at once, so the gaps are the IdleHoldTimer: doubling, capped at 4 s.
    for (const [i, want] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [4, 4000],
    ] as const) {
      expect(gaps[i]).toBeGreaterThan(want - 150);
      expect(gaps[i]).toBeLessThan(want + 400);
    }
    expect(e.fsm.state).not.toBe("Established");
    bird = tb.track(await startBird(topo.host("b"), BIRD_SPEC));
    await e.waitState("Established", 30_000);
    await bird.waitEstablished("tortie", { timeoutMs: 10_000 });
  });
});

describe.skipIf(skip)("FSM interop with FRR 8, GoBGP 3 and ExaBGP 4", () => {
  const tb = useTestbed();

  it("establishes with each; FRR reports the hold time we negotiated; all stay up past it", async () => {
    const topo = await tb.topology({
      hosts: ["t", "f", "g", "x"],
      segments: {
        lan: {
          members: {
            t: [`${US}/24`],
            f: ["192.0.2.3/24"],
            g: ["192.0.2.4/24"],
            x: ["192.0.2.5/24"],
          },
        },
      },
    });
    const frr = tb.track(
      await startFrr(topo.host("f"), {
        as: 64512,
        routerId: "192.0.2.3",
        neighbors: [{ address: US, remoteAs: 64512, timers: { keepalive: 3, hold: 9 } }],
      }),
    );
    const gobgp = tb.track(
      await startGobgp(topo.host("g"), {
        as: 65002,
        routerId: "192.0.2.4",
        neighbors: [{ address: US, peerAs: 64512, holdTime: 12, keepaliveInterval: 4 }],
      }),
    );
    const exa = tb.track(
      await startExabgp(topo.host("x"), {
        routerId: "192.0.2.5",
        localAddress: "192.0.2.5",
        localAs: 65003,
        neighbor: US,
        peerAs: 64512,
        holdTime: 15,
        passive: true,
      }),
    );
    const base = { localAs: 64512, bgpId: parseBgpId(US), holdTime: 30, ...FAST };
    const toFrr = new Edge(
      { ...base, peerAs: "internal" },
      { netns: topo.host("t").nsPath, peer: "192.0.2.3" },
    );
    const toGobgp = new Edge(
      { ...base, peerAs: 65002 },
      { netns: topo.host("t").nsPath, peer: "192.0.2.4" },
    );
    const toExa = new Edge(
      { ...base, peerAs: 65003 },
      { netns: topo.host("t").nsPath, peer: "192.0.2.5" },
    );
    const edges = [toFrr, toGobgp, toExa];
    for (const e of edges) {
      tb.defer(() => e.close());
      e.dispatch({ type: "ManualStart" });
    }
    for (const e of edges) await e.waitState("Established");

    expect(toFrr.fsm.session?.holdTime).toBe(9);
    expect(toFrr.fsm.session?.internal).toBe(true);
    const n = await frr.waitEstablished(US, { timeoutMs: 15_000 });
    expect(n.bgpTimerHoldTimeMsecs).toBe(9_000);

    expect(toGobgp.fsm.session?.holdTime).toBe(12);
    expect(toGobgp.fsm.session?.internal).toBe(false);
    expect(toGobgp.fsm.session?.peerAs).toBe(65002);
    await waitFor(
      async () => {
        const [nb] = await gobgp.neighbors();
        const s = String(nb?.state.session_state ?? "").toLowerCase();
        return s === "established" || s === "6";
      },
      { what: "GoBGP neighbor established", timeoutMs: 15_000 },
    );

    expect(toExa.fsm.session?.holdTime).toBe(15);
    expect(toExa.fsm.session?.keepaliveTime).toBe(5);
    await exa.waitUp({ timeoutMs: 15_000 });

    // Past the FRR and GoBGP hold times, still up on every side.
    await sleep(13_000);
    for (const e of edges) expect(e.fsm.state).toBe("Established");
    expect(exa.state()).toBe("up");
    expect((await frr.neighbor(US))?.bgpState).toBe("Established");
  });
});
