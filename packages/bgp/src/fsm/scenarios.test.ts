// Whole sessions driven by scripts on a made-up clock: timers fire through
// `fireDue` only when the script advances time.
import { describe, expect, it } from "vitest";
import type { ScriptStep } from "./harness.js";
import { LOCAL, notif, peerOpen, reach, run, T0, types } from "./harness.js";
import { createFsm, step } from "./step.js";
import { fireDue, nextDeadline, updateSent } from "./timers.js";

const S = 1000;

describe("active peer, happy path", () => {
  it("Idle → Connect → OpenSent → OpenConfirm → Established with the right actions", () => {
    const r = run(createFsm(LOCAL, T0), [
      { type: "ManualStart" },
      { advance: 5 },
      { type: "Tcp_CR_Acked" },
      { type: "BGPOpen", open: peerOpen({ holdTime: 9 }) },
      { type: "KeepAliveMsg" },
    ]);
    expect(r.states).toEqual(["Connect", "Connect", "OpenSent", "OpenConfirm", "Established"]);
    expect(types(r.actions)).toEqual(["connect", "send-open", "send-keepalive", "session-up"]);
    expect(r.fsm.session?.holdTime).toBe(9);
    expect(r.fsm.session?.keepaliveTime).toBe(3);
  });

  it("sends a KEEPALIVE every keepalive interval and survives on the peer's KEEPALIVEs", () => {
    const est = run(createFsm({ ...LOCAL, holdTime: 9 }, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "BGPOpen", open: peerOpen() },
      { type: "KeepAliveMsg" },
    ]);
    const script: ScriptStep[] = [];
    for (let i = 0; i < 10; i++) script.push({ advance: 3 * S }, { type: "KeepAliveMsg" });
    const r = run(est.fsm, script, est.now);
    expect(r.fsm.state).toBe("Established");
    expect(types(r.actions)).toEqual(Array(10).fill("send-keepalive"));
  });

  it("hold timer expiry sends Hold Timer Expired and tears the session down", () => {
    const est = reach("Established", { holdTime: 9 });
    expect(nextDeadline(est)).toEqual({
      timer: "keepalive",
      event: "KeepaliveTimer_Expires",
      at: T0 + 3 * S,
    });
    const r = run(est, [{ advance: 3 * S }, { advance: 3 * S }, { advance: 3 * S }]);
    expect(r.states).toEqual(["Established", "Established", "Idle"]);
    // At 9 s both timers are due; the hold timer is checked first.
    expect(r.actions).toEqual([
      { type: "send-keepalive" },
      { type: "send-keepalive" },
      { type: "send-notification", notification: notif(4, 0) },
      expect.objectContaining({ type: "session-down" }),
      { type: "release" },
      { type: "drop" },
    ]);
    expect(r.fsm.lastError?.event).toBe("HoldTimer_Expires");
  });

  it("fireDue steps with the time it is given: a late edge sends one KEEPALIVE, not a burst", () => {
    const est = reach("Established", { holdTime: 90 });
    const r = fireDue(est, T0 + 75 * S);
    expect(r.actions).toEqual([{ type: "send-keepalive" }]);
    expect(r.state.timers.keepalive).toBe(T0 + 105 * S);
  });

  it("fireDue does nothing before a deadline", () => {
    const est = reach("Established");
    expect(fireDue(est, T0 + 29_999)).toEqual({ state: est, actions: [] });
  });

  it("updateSent restarts the KeepaliveTimer in Established only", () => {
    const est = reach("Established");
    expect(updateSent(est, T0 + 10 * S).timers.keepalive).toBe(T0 + 40 * S);
    const os = reach("OpenSent");
    expect(updateSent(os, T0 + 10 * S)).toBe(os);
  });

  it("ConnectRetryTimer expiry in Connect retries the connection", () => {
    const r = run(createFsm(LOCAL, T0), [
      { type: "ManualStart" },
      { advance: 120 * S },
      { advance: 120 * S },
    ]);
    expect(types(r.actions)).toEqual(["connect", "drop", "connect", "drop", "connect"]);
    expect(r.fsm.timers.connectRetry).toBe(T0 + 360 * S);
  });
});

describe("passive peer (PassiveTcpEstablishment)", () => {
  it("never connects, waits for the peer, then proceeds like any peer", () => {
    const r = run(createFsm({ ...LOCAL, passive: true }, T0), [
      { type: "ManualStart" },
      { advance: 600 * S },
      { type: "TcpConnectionConfirmed" },
      { type: "BGPOpen", open: peerOpen() },
      { type: "KeepAliveMsg" },
    ]);
    expect(r.states).toEqual(["Active", "Active", "OpenSent", "OpenConfirm", "Established"]);
    expect(types(r.actions)).not.toContain("connect");
  });

  it("an active peer started passively connects when the ConnectRetryTimer expires (RFC 4271)", () => {
    const r = run(createFsm(LOCAL, T0), [
      { type: "ManualStart_with_PassiveTcpEstablishment" },
      { advance: 120 * S },
    ]);
    expect(r.states).toEqual(["Active", "Connect"]);
    expect(types(r.actions)).toEqual(["connect"]);
  });

  it("OpenSent + TcpConnectionFails returns to Active, listening", () => {
    const r = step(reach("OpenSent"), { type: "TcpConnectionFails" }, T0 + S);
    expect(r.state.state).toBe("Active");
    expect(r.state.timers).toEqual({ connectRetry: T0 + S + 120 * S });
    expect(r.state.connection).toBeUndefined();
  });
});

describe("DelayOpen (RFC 4271 §8.1.1)", () => {
  const opts = { ...LOCAL, delayOpen: true, delayOpenTime: 2 };

  it("waits DelayOpenTime after the connection, then sends OPEN", () => {
    const r = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { advance: 2 * S },
    ]);
    expect(r.states).toEqual(["Connect", "Connect", "OpenSent"]);
    expect(types(r.actions)).toEqual(["connect", "send-open"]);
  });

  it("a peer OPEN during the delay is event 20: OPEN and KEEPALIVE at once → OpenConfirm", () => {
    const r = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { advance: S },
      { type: "BGPOpen", open: peerOpen() },
    ]);
    expect(r.fsm.state).toBe("OpenConfirm");
    expect(types(r.actions)).toEqual(["connect", "send-open", "send-keepalive"]);
    expect(r.fsm.timers.delayOpen).toBeUndefined();
  });

  it("works the same in Active for a passive peer", () => {
    const r = run(createFsm({ ...opts, passive: true }, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionConfirmed" },
      { type: "BGPOpen", open: peerOpen() },
      { type: "KeepAliveMsg" },
    ]);
    expect(r.states).toEqual(["Active", "Active", "OpenConfirm", "Established"]);
  });

  it("TcpConnectionFails during the delay goes back to Active with ConnectRetry running", () => {
    const r = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "TcpConnectionFails" },
    ]);
    expect(r.fsm.state).toBe("Active");
    expect(Object.keys(r.fsm.timers)).toEqual(["connectRetry"]);
  });

  it("a bad OPEN during the delay goes to Idle; NOTIFICATION only with SendNOTIFICATIONwithoutOPEN", () => {
    const bad = { type: "BGPOpen", open: peerOpen({ holdTime: 2 }) } as const;
    const quiet = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      bad,
    ]);
    expect(quiet.fsm.state).toBe("Idle");
    expect(types(quiet.actions)).not.toContain("send-notification");
    const loud = run(createFsm({ ...opts, sendNotificationWithoutOpen: true }, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      bad,
    ]);
    expect(loud.actions).toContainEqual({ type: "send-notification", notification: notif(2, 6) });
  });

  it("NotifMsgVerErr during the delay is not counted", () => {
    const r = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "NotifMsg", notification: notif(2, 1) },
    ]);
    expect(r.fsm.state).toBe("Idle");
    expect(r.fsm.connectRetryCounter).toBe(0);
  });

  it("ManualStop in Active during the delay sends a Cease only with SendNOTIFICATIONwithoutOPEN", () => {
    const o = { ...opts, passive: true, sendNotificationWithoutOpen: true };
    const r = run(createFsm(o, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionConfirmed" },
      { type: "ManualStop" },
    ]);
    expect(types(r.actions)).toEqual(["send-notification", "release", "drop"]);
  });

  it("a second connection during the delay is left to the edge", () => {
    const r = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "TcpConnectionConfirmed" },
    ]);
    expect(r.fsm.connection).toBe("outgoing");
    expect(r.fsm.state).toBe("Connect");
  });
});

describe("OPEN errors on the way up", () => {
  it("an OPEN with a bad peer AS gets OPEN Message Error / Bad Peer AS", () => {
    const r = step(
      reach("OpenSent"),
      { type: "BGPOpen", open: peerOpen({ myAs: 64999, capabilities: {} }) },
      T0,
    );
    expect(r.state.state).toBe("Idle");
    expect(r.actions[0]).toEqual({ type: "send-notification", notification: notif(2, 2) });
    expect(r.state.lastError?.reason).toMatch(/peer AS 64999/);
  });

  it("an OPEN with hold time 1 gets Unacceptable Hold Time", () => {
    const r = step(reach("OpenSent"), { type: "BGPOpen", open: peerOpen({ holdTime: 1 }) }, T0);
    expect(r.actions[0]).toEqual({ type: "send-notification", notification: notif(2, 6) });
  });

  it("an OPEN with version 3 gets Unsupported Version Number with data 0x0004", () => {
    const r = step(reach("OpenSent"), { type: "BGPOpen", open: peerOpen({ version: 3 }) }, T0);
    expect(r.actions[0]).toEqual({
      type: "send-notification",
      notification: { code: 2, subcode: 1, data: Uint8Array.of(0, 4) },
    });
  });
});

describe("automatic restart with exponential back-off (IdleHoldTimer, DampPeerOscillations)", () => {
  const opts = { ...LOCAL, idleHoldTime: 1, maxIdleHoldTime: 8, idleHoldResetTime: 60 };

  /** Connection refused over and over: returns the delays between connect attempts (s). */
  function refusals(n: number): number[] {
    let fsm = step(createFsm(opts, T0), { type: "ManualStart" }, T0).state;
    let now = T0;
    let lastConnect = T0;
    const gaps: number[] = [];
    for (let i = 0; i < n; i++) {
      fsm = step(fsm, { type: "TcpConnectionFails" }, now).state;
      const due = nextDeadline(fsm);
      expect(due?.event).toBe("IdleHoldTimer_Expires");
      now = due!.at;
      const r = fireDue(fsm, now);
      expect(r.actions).toEqual([{ type: "connect" }]);
      fsm = r.state;
      gaps.push((now - lastConnect) / S);
      lastConnect = now;
    }
    return gaps;
  }

  it("doubles from the initial to the maximum IdleHoldTime", () => {
    expect(refusals(7)).toEqual([1, 2, 4, 8, 8, 8, 8]);
  });

  it("without DampPeerOscillations the delay stays at the initial value", () => {
    let fsm = step(
      createFsm({ ...opts, dampPeerOscillations: false }, T0),
      { type: "ManualStart" },
      T0,
    ).state;
    for (let i = 0; i < 4; i++) {
      fsm = step(fsm, { type: "TcpConnectionFails" }, T0).state;
      expect(fsm.timers.idleHold).toBe(T0 + S);
      fsm = fireDue(fsm, T0 + S).state;
    }
  });

  it("without AllowAutomaticStart the FSM stays in Idle after a failure", () => {
    const r = run(createFsm({ ...opts, allowAutomaticStart: false }, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionFails" },
    ]);
    expect(r.fsm.state).toBe("Idle");
    expect(nextDeadline(r.fsm)).toBeUndefined();
  });

  it("a session Established for the stable period resets the back-off", () => {
    const base = { ...reach("Established", opts), idleHoldTime: 8 };
    const shortLived = step(base, { type: "TcpConnectionFails" }, T0 + 59 * S).state;
    expect(shortLived.timers.idleHold).toBe(T0 + 59 * S + 8 * S);
    const stable = step(base, { type: "TcpConnectionFails" }, T0 + 60 * S).state;
    expect(stable.timers.idleHold).toBe(T0 + 60 * S + S);
    expect(stable.idleHoldTime).toBe(2);
  });

  it("ManualStop during the back-off cancels the restart; ManualStart resets it", () => {
    const failed = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionFails" },
      { type: "ManualStart" },
      { type: "TcpConnectionFails" },
    ]);
    expect(failed.fsm.idleHoldTime).toBe(2);
    const stopped = step(failed.fsm, { type: "ManualStop" }, T0);
    expect(stopped.state.timers).toEqual({});
    expect(fireDue(stopped.state, T0 + 3600 * S).actions).toEqual([]);
    const restarted = step(stopped.state, { type: "ManualStart" }, T0);
    expect(restarted.state.idleHoldTime).toBe(1);
    expect(restarted.state.state).toBe("Connect");
  });

  it("damped automatic starts (events 6, 7) wait for the IdleHoldTimer", () => {
    const idle = run(createFsm(opts, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionFails" },
    ]).fsm;
    const held = step(idle, { type: "AutomaticStart_with_DampPeerOscillations" }, T0);
    expect(held.state.state).toBe("Idle");
    expect(held.actions).toEqual([]);
    const passive = step(
      idle,
      { type: "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment" },
      T0,
    );
    expect(passive.state.state).toBe("Idle");
    const expired = fireDue(idle, T0 + S);
    expect(expired.state.state).toBe("Connect");
  });

  it("a passive peer restarts into Active", () => {
    const r = run(createFsm({ ...opts, passive: true }, T0), [
      { type: "ManualStart" },
      { type: "TcpConnectionConfirmed" },
      { type: "TcpConnectionFails" },
      { advance: S },
    ]);
    expect(r.states).toEqual(["Active", "OpenSent", "Active", "Active"]);
    const toIdle = run(r.fsm, [{ type: "TcpConnectionFails" }, { advance: 2 * S }], r.now);
    expect(toIdle.states).toEqual(["Idle", "Active"]);
    expect(types(toIdle.actions)).toEqual(["release", "drop"]);
  });

  it("the peer restarting: session down, reconnect attempts back off, session up again", () => {
    const est = reach("Established", opts);
    const r = run(est, [
      { type: "NotifMsg", notification: notif(6, 4) }, // peer resets
      { advance: S }, // connect
      { type: "TcpConnectionFails" }, // refused while it restarts
      { advance: 2 * S }, // connect after 2 s
      { type: "Tcp_CR_Acked" },
      { type: "BGPOpen", open: peerOpen() },
      { type: "KeepAliveMsg" },
    ]);
    expect(r.states).toEqual([
      "Idle",
      "Connect",
      "Idle",
      "Connect",
      "OpenSent",
      "OpenConfirm",
      "Established",
    ]);
    expect(types(r.actions).filter((t) => t.startsWith("session"))).toEqual([
      "session-down",
      "session-up",
    ]);
    expect(r.fsm.idleHoldTime).toBe(4);
  });
});

describe("timer jitter (RFC 4271 §10, opt-in)", () => {
  it("ConnectRetry and Keepalive run 0.75–1.0 of their value; Hold and IdleHold do not", () => {
    const opts = { ...LOCAL, jitter: true, jitterSeed: 42, holdTime: 90 };
    const factors: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = T0 + i * 7919;
      const c = step(createFsm(opts, t), { type: "ManualStart" }, t).state;
      factors.push((c.timers.connectRetry! - t) / 120_000);
      const est = run(c, [{ type: "Tcp_CR_Acked" }, { type: "BGPOpen", open: peerOpen() }], t).fsm;
      expect(est.timers.hold).toBe(t + 90_000);
      factors.push((est.timers.keepalive! - t) / 30_000);
    }
    expect(Math.min(...factors)).toBeGreaterThanOrEqual(0.75);
    expect(Math.max(...factors)).toBeLessThanOrEqual(1);
    // Spread over the range, not stuck on one value.
    expect(Math.max(...factors) - Math.min(...factors)).toBeGreaterThan(0.2);
    expect(new Set(factors.map((f) => f.toFixed(3))).size).toBeGreaterThan(100);
  });

  it("is deterministic per seed and clock, and differs between seeds", () => {
    const at = (seed: number) =>
      step(createFsm({ ...LOCAL, jitter: true, jitterSeed: seed }, T0), { type: "ManualStart" }, T0)
        .state.timers.connectRetry;
    expect(at(1)).toBe(at(1));
    expect(at(1)).not.toBe(at(2));
  });

  it("is off by default", () => {
    expect(step(createFsm(LOCAL, T0), { type: "ManualStart" }, T0).state.timers.connectRetry).toBe(
      T0 + 120_000,
    );
  });
});

it("updateSent honours jitter", () => {
  const est = reach("Established", { jitter: true, jitterSeed: 7 });
  const k = updateSent(est, T0 + 1000).timers.keepalive! - (T0 + 1000);
  expect(k).toBeGreaterThanOrEqual(22_500);
  expect(k).toBeLessThanOrEqual(30_000);
});
