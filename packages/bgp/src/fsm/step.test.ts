// Every cell of RFC 4271 §8.2.2: each of the six states × each of the 28
// events of §8.1, reached by a scripted path with a fake clock. Expectations
// are written from the RFC text (deviations marked in the source files).
import { describe, expect, it } from "vitest";
import { notif, peerOpen, reach, T0 } from "./harness.js";
import { invariantViolations } from "./invariants.js";
import { step } from "./step.js";
import type { FsmAction, FsmEvent, FsmEventName, SessionState } from "./types.js";
import { FsmEventNumber, SESSION_STATES } from "./types.js";

/** A representative event for each name (payloads where the event has one). */
function eventFor(name: FsmEventName): FsmEvent {
  switch (name) {
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
      return { type: name, open: peerOpen() };
    case "BGPHeaderErr":
      return { type: name, notification: notif(1, 2) };
    case "BGPOpenMsgErr":
      return { type: name, notification: notif(2, 4) };
    case "UpdateMsgErr":
      return { type: name, notification: notif(3, 1) };
    case "NotifMsg":
      return { type: name, notification: notif(6, 2) };
    case "NotifMsgVerErr":
      return { type: name, notification: notif(2, 1) };
    case "UpdateMsg":
      return { type: name, update: { nlri: ["198.51.100.0/24"] } };
    default:
      return { type: name } as FsmEvent;
  }
}

/** Actions as short strings: "notify C/S[:data]" for NOTIFICATIONs, the type otherwise. */
function show(actions: readonly FsmAction[]): string {
  return actions
    .map((a) => {
      if (a.type !== "send-notification") return a.type;
      const n = a.notification;
      return `notify ${n.code}/${n.subcode}${n.data.length ? `:${[...n.data].join(".")}` : ""}`;
    })
    .join(",");
}

// [next state, actions, ConnectRetryCounter: "0" zeroed, "+1", "=" unchanged]
type Cell = readonly [SessionState, string, "0" | "+1" | "="];
const IGNORED = (s: SessionState): Cell => [s, "", "="];
const STALE = IGNORED; // a timer event whose timer is not running in this state
const DOWN = "release,drop";
const SD = "session-down,release,drop";

const starts = (s: SessionState) => ({
  ManualStart: IGNORED(s),
  AutomaticStart: IGNORED(s),
  ManualStart_with_PassiveTcpEstablishment: IGNORED(s),
  AutomaticStart_with_PassiveTcpEstablishment: IGNORED(s),
  AutomaticStart_with_DampPeerOscillations: IGNORED(s),
  AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment: IGNORED(s),
});

const TABLE: Record<SessionState, Record<FsmEventName, Cell>> = {
  Idle: {
    ManualStart: ["Connect", "connect", "0"],
    ManualStop: ["Idle", "", "0"],
    AutomaticStart: ["Connect", "connect", "0"],
    ManualStart_with_PassiveTcpEstablishment: ["Active", "", "0"],
    AutomaticStart_with_PassiveTcpEstablishment: ["Active", "", "0"],
    AutomaticStart_with_DampPeerOscillations: ["Connect", "connect", "0"],
    AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment: ["Active", "", "0"],
    AutomaticStop: IGNORED("Idle"),
    ConnectRetryTimer_Expires: STALE("Idle"),
    HoldTimer_Expires: STALE("Idle"),
    KeepaliveTimer_Expires: STALE("Idle"),
    DelayOpenTimer_Expires: STALE("Idle"),
    IdleHoldTimer_Expires: STALE("Idle"),
    TcpConnection_Valid: IGNORED("Idle"),
    Tcp_CR_Invalid: IGNORED("Idle"),
    Tcp_CR_Acked: IGNORED("Idle"),
    TcpConnectionConfirmed: IGNORED("Idle"),
    TcpConnectionFails: IGNORED("Idle"),
    BGPOpen: IGNORED("Idle"),
    BGPOpen_with_DelayOpenTimer_running: IGNORED("Idle"),
    BGPHeaderErr: IGNORED("Idle"),
    BGPOpenMsgErr: IGNORED("Idle"),
    OpenCollisionDump: IGNORED("Idle"),
    NotifMsgVerErr: IGNORED("Idle"),
    NotifMsg: IGNORED("Idle"),
    KeepAliveMsg: IGNORED("Idle"),
    UpdateMsg: IGNORED("Idle"),
    UpdateMsgErr: IGNORED("Idle"),
  },
  Connect: {
    ...starts("Connect"),
    ManualStop: ["Idle", DOWN, "0"],
    AutomaticStop: ["Idle", DOWN, "+1"],
    ConnectRetryTimer_Expires: ["Connect", "drop,connect", "="],
    HoldTimer_Expires: STALE("Connect"),
    KeepaliveTimer_Expires: STALE("Connect"),
    DelayOpenTimer_Expires: STALE("Connect"),
    IdleHoldTimer_Expires: STALE("Connect"),
    TcpConnection_Valid: IGNORED("Connect"),
    Tcp_CR_Invalid: ["Connect", "reject", "="],
    Tcp_CR_Acked: ["OpenSent", "send-open", "="],
    TcpConnectionConfirmed: ["OpenSent", "send-open", "="],
    TcpConnectionFails: ["Idle", DOWN, "="],
    BGPOpen: ["Idle", DOWN, "+1"],
    BGPOpen_with_DelayOpenTimer_running: ["Idle", DOWN, "+1"], // no DelayOpenTimer: it is event 19
    BGPHeaderErr: ["Idle", DOWN, "+1"],
    BGPOpenMsgErr: ["Idle", DOWN, "+1"],
    OpenCollisionDump: ["Idle", DOWN, "+1"],
    NotifMsgVerErr: ["Idle", DOWN, "+1"],
    NotifMsg: ["Idle", DOWN, "+1"],
    KeepAliveMsg: ["Idle", DOWN, "+1"],
    UpdateMsg: ["Idle", DOWN, "+1"],
    UpdateMsgErr: ["Idle", DOWN, "+1"],
  },
  Active: {
    ...starts("Active"),
    ManualStop: ["Idle", DOWN, "0"],
    AutomaticStop: ["Idle", DOWN, "+1"],
    ConnectRetryTimer_Expires: ["Connect", "connect", "="],
    HoldTimer_Expires: STALE("Active"),
    KeepaliveTimer_Expires: STALE("Active"),
    DelayOpenTimer_Expires: STALE("Active"),
    IdleHoldTimer_Expires: STALE("Active"),
    TcpConnection_Valid: IGNORED("Active"),
    Tcp_CR_Invalid: ["Active", "reject", "="],
    Tcp_CR_Acked: ["OpenSent", "send-open", "="],
    TcpConnectionConfirmed: ["OpenSent", "send-open", "="],
    TcpConnectionFails: ["Idle", DOWN, "+1"],
    BGPOpen: ["Idle", DOWN, "+1"],
    BGPOpen_with_DelayOpenTimer_running: ["Idle", DOWN, "+1"],
    BGPHeaderErr: ["Idle", DOWN, "+1"],
    BGPOpenMsgErr: ["Idle", DOWN, "+1"],
    OpenCollisionDump: ["Idle", DOWN, "+1"],
    NotifMsgVerErr: ["Idle", DOWN, "+1"],
    NotifMsg: ["Idle", DOWN, "+1"],
    KeepAliveMsg: ["Idle", DOWN, "+1"],
    UpdateMsg: ["Idle", DOWN, "+1"],
    UpdateMsgErr: ["Idle", DOWN, "+1"],
  },
  OpenSent: {
    ...starts("OpenSent"),
    ManualStop: ["Idle", `notify 6/2,${DOWN}`, "0"],
    AutomaticStop: ["Idle", `notify 6/0,${DOWN}`, "+1"],
    ConnectRetryTimer_Expires: STALE("OpenSent"),
    HoldTimer_Expires: ["Idle", `notify 4/0,${DOWN}`, "+1"],
    KeepaliveTimer_Expires: STALE("OpenSent"),
    DelayOpenTimer_Expires: STALE("OpenSent"),
    IdleHoldTimer_Expires: STALE("OpenSent"),
    TcpConnection_Valid: IGNORED("OpenSent"),
    Tcp_CR_Invalid: IGNORED("OpenSent"),
    Tcp_CR_Acked: IGNORED("OpenSent"),
    TcpConnectionConfirmed: IGNORED("OpenSent"),
    TcpConnectionFails: ["Active", "drop", "="],
    BGPOpen: ["OpenConfirm", "send-keepalive", "="],
    BGPOpen_with_DelayOpenTimer_running: ["OpenConfirm", "send-keepalive", "="],
    BGPHeaderErr: ["Idle", `notify 1/2,${DOWN}`, "+1"],
    BGPOpenMsgErr: ["Idle", `notify 2/4,${DOWN}`, "+1"],
    OpenCollisionDump: ["Idle", `notify 6/7,${DOWN}`, "+1"],
    NotifMsgVerErr: ["Idle", DOWN, "="],
    NotifMsg: ["Idle", DOWN, "+1"],
    KeepAliveMsg: ["Idle", `notify 5/1:4,${DOWN}`, "+1"],
    UpdateMsg: ["Idle", `notify 5/1:2,${DOWN}`, "+1"],
    UpdateMsgErr: ["Idle", `notify 5/1:2,${DOWN}`, "+1"],
  },
  OpenConfirm: {
    ...starts("OpenConfirm"),
    ManualStop: ["Idle", `notify 6/2,${DOWN}`, "0"],
    AutomaticStop: ["Idle", `notify 6/0,${DOWN}`, "+1"],
    ConnectRetryTimer_Expires: STALE("OpenConfirm"),
    HoldTimer_Expires: ["Idle", `notify 4/0,${DOWN}`, "+1"],
    KeepaliveTimer_Expires: ["OpenConfirm", "send-keepalive", "="],
    DelayOpenTimer_Expires: STALE("OpenConfirm"),
    IdleHoldTimer_Expires: STALE("OpenConfirm"),
    TcpConnection_Valid: IGNORED("OpenConfirm"),
    Tcp_CR_Invalid: IGNORED("OpenConfirm"),
    Tcp_CR_Acked: IGNORED("OpenConfirm"),
    TcpConnectionConfirmed: IGNORED("OpenConfirm"),
    TcpConnectionFails: ["Idle", DOWN, "+1"],
    BGPOpen: ["Idle", `notify 5/2:1,${DOWN}`, "+1"],
    BGPOpen_with_DelayOpenTimer_running: ["Idle", `notify 5/2:1,${DOWN}`, "+1"],
    BGPHeaderErr: ["Idle", `notify 1/2,${DOWN}`, "+1"],
    BGPOpenMsgErr: ["Idle", `notify 2/4,${DOWN}`, "+1"],
    OpenCollisionDump: ["Idle", `notify 6/7,${DOWN}`, "+1"],
    NotifMsgVerErr: ["Idle", DOWN, "="],
    NotifMsg: ["Idle", DOWN, "+1"],
    KeepAliveMsg: ["Established", "session-up", "="],
    UpdateMsg: ["Idle", `notify 5/2:2,${DOWN}`, "+1"],
    UpdateMsgErr: ["Idle", `notify 5/2:2,${DOWN}`, "+1"],
  },
  Established: {
    ...starts("Established"),
    ManualStop: ["Idle", `notify 6/2,${SD}`, "0"],
    AutomaticStop: ["Idle", `notify 6/0,${SD}`, "+1"],
    ConnectRetryTimer_Expires: STALE("Established"),
    HoldTimer_Expires: ["Idle", `notify 4/0,${SD}`, "+1"],
    KeepaliveTimer_Expires: ["Established", "send-keepalive", "="],
    DelayOpenTimer_Expires: STALE("Established"),
    IdleHoldTimer_Expires: STALE("Established"),
    TcpConnection_Valid: IGNORED("Established"),
    Tcp_CR_Invalid: IGNORED("Established"),
    Tcp_CR_Acked: IGNORED("Established"),
    TcpConnectionConfirmed: IGNORED("Established"),
    TcpConnectionFails: ["Idle", SD, "+1"],
    BGPOpen: ["Idle", `notify 5/3:1,${SD}`, "+1"],
    BGPOpen_with_DelayOpenTimer_running: ["Idle", `notify 5/3:1,${SD}`, "+1"],
    BGPHeaderErr: ["Idle", `notify 1/2,${SD}`, "+1"],
    BGPOpenMsgErr: ["Idle", `notify 5/3:1,${SD}`, "+1"],
    OpenCollisionDump: ["Idle", `notify 6/7,${SD}`, "+1"],
    NotifMsgVerErr: ["Idle", SD, "+1"],
    NotifMsg: ["Idle", SD, "+1"],
    KeepAliveMsg: ["Established", "", "="],
    UpdateMsg: ["Established", "process-update", "="],
    UpdateMsgErr: ["Idle", `notify 3/1,${SD}`, "+1"],
  },
};

const EVENTS = Object.keys(FsmEventNumber) as FsmEventName[];

describe("RFC 4271 §8.2.2 state × event table", () => {
  it("covers all six states and all 28 events", () => {
    expect(SESSION_STATES).toHaveLength(6);
    expect(EVENTS).toHaveLength(28);
    expect(EVENTS.map((e) => FsmEventNumber[e])).toEqual(
      Array.from({ length: 28 }, (_, i) => i + 1),
    );
    for (const s of SESSION_STATES)
      expect(Object.keys(TABLE[s]).sort()).toEqual([...EVENTS].sort());
  });

  const cells = SESSION_STATES.flatMap((s) => EVENTS.map((e) => [s, e] as const));
  it.each(cells)("%s + %s", (state, event) => {
    const before = reach(state);
    // A non-zero counter shows whether a cell zeroes, increments or keeps it.
    const fsm = { ...before, connectRetryCounter: 3 };
    const now = T0 + 500;
    const [next, actions, counter] = TABLE[state][event];
    const r = step(fsm, eventFor(event), now);
    expect(r.state.state).toBe(next);
    expect(show(r.actions)).toBe(actions);
    const want = counter === "0" ? 0 : counter === "+1" ? 4 : 3;
    expect(r.state.connectRetryCounter).toBe(want);
    expect(invariantViolations(r.state)).toEqual([]);
    // The input snapshot is never modified.
    expect(fsm.state).toBe(state);
    expect(fsm.timers).toEqual(before.timers);
  });
});

describe("timer effects of the table's transitions", () => {
  it("Idle → Connect starts the ConnectRetryTimer (default 120 s)", () => {
    const r = step(reach("Idle"), { type: "ManualStart" }, T0);
    expect(r.state.timers).toEqual({ connectRetry: T0 + 120_000 });
  });

  it("Connect → OpenSent stops ConnectRetry and sets the HoldTimer to 4 minutes", () => {
    const r = step(reach("Connect"), { type: "Tcp_CR_Acked" }, T0 + 10);
    expect(r.state.timers).toEqual({ hold: T0 + 10 + 240_000 });
    expect(r.state.connection).toBe("outgoing");
  });

  it("TcpConnectionConfirmed marks the connection incoming", () => {
    const r = step(reach("Active"), { type: "TcpConnectionConfirmed" }, T0);
    expect(r.state.connection).toBe("incoming");
  });

  it("OpenSent → OpenConfirm runs Hold and Keepalive on the negotiated values", () => {
    const r = step(reach("OpenSent", { holdTime: 30 }), { type: "BGPOpen", open: peerOpen() }, T0);
    expect(r.state.session?.holdTime).toBe(30);
    expect(r.state.session?.keepaliveTime).toBe(10);
    expect(r.state.timers).toEqual({ hold: T0 + 30_000, keepalive: T0 + 10_000 });
  });

  it("a negotiated hold time of 0 runs neither timer (RFC 4271 §4.4)", () => {
    const r = step(reach("OpenSent"), { type: "BGPOpen", open: peerOpen({ holdTime: 0 }) }, T0);
    expect(r.state.state).toBe("OpenConfirm");
    expect(r.state.timers).toEqual({});
    const e = step(r.state, { type: "KeepAliveMsg" }, T0 + 5);
    expect(e.state.state).toBe("Established");
    expect(e.state.timers).toEqual({});
  });

  it("KEEPALIVE and UPDATE restart the HoldTimer in Established", () => {
    const est = reach("Established");
    const k = step(est, { type: "KeepAliveMsg" }, T0 + 50_000);
    expect(k.state.timers.hold).toBe(T0 + 50_000 + 90_000);
    const u = step(k.state, { type: "UpdateMsg", update: 1 }, T0 + 60_000);
    expect(u.state.timers.hold).toBe(T0 + 60_000 + 90_000);
    expect(u.actions).toEqual([{ type: "process-update", update: 1 }]);
  });

  it("Established records establishedAt and emits session-up with the negotiated session", () => {
    const oc = reach("OpenConfirm");
    const r = step(oc, { type: "KeepAliveMsg" }, T0 + 7);
    expect(r.state.establishedAt).toBe(T0 + 7);
    expect(r.state.since).toBe(T0 + 7);
    expect(r.actions).toEqual([{ type: "session-up", session: oc.session }]);
  });

  it("leaving Established reports why in session-down and lastError", () => {
    const r = step(reach("Established"), { type: "NotifMsg", notification: notif(6, 2) }, T0 + 9);
    const down = r.actions.find((a) => a.type === "session-down");
    expect(down).toEqual({
      type: "session-down",
      reason: {
        event: "NotifMsg",
        state: "Established",
        at: T0 + 9,
        received: notif(6, 2),
      },
    });
    expect(r.state.lastError).toEqual(down?.type === "session-down" ? down.reason : undefined);
  });

  it("a ManualStop is not recorded as an error", () => {
    const r = step(reach("Established"), { type: "ManualStop" }, T0);
    expect(r.state.lastError).toBeUndefined();
    expect(r.state.timers).toEqual({});
  });

  it("ManualStop and AutomaticStop carry the caller's Cease (e.g. RFC 9003 communication)", () => {
    const data = Uint8Array.of(3, 0x62, 0x79, 0x65);
    const r = step(
      reach("Established"),
      { type: "ManualStop", notification: { code: 6, subcode: 4, data } },
      T0,
    );
    expect(r.actions[0]).toEqual({
      type: "send-notification",
      notification: { code: 6, subcode: 4, data },
    });
    const m = step(reach("Established"), { type: "AutomaticStop", notification: notif(6, 1) }, T0);
    expect(m.actions[0]).toEqual({ type: "send-notification", notification: notif(6, 1) });
  });

  it("a NOTIFICATION with a version error is NotifMsgVerErr: not counted", () => {
    const r = step(reach("OpenSent"), { type: "NotifMsg", notification: notif(2, 1) }, T0);
    expect(r.state.connectRetryCounter).toBe(0);
    expect(r.state.lastError?.event).toBe("NotifMsgVerErr");
  });
});
