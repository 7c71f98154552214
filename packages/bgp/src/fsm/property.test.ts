// fast-check: for any configuration and any sequence of events and clock
// advances, `step` never throws, the state is one of the six, timers agree
// with the state (invariants.ts), inputs are never modified, and actions obey
// the RFC's shape (a NOTIFICATION is always followed by dropping the
// connection; routes are deleted only when leaving Established).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FsmOptions } from "./config.js";
import { LOCAL, peerOpen, T0 } from "./harness.js";
import { invariantViolations } from "./invariants.js";
import type { OpenDescriptor } from "./open.js";
import { createFsm, step } from "./step.js";
import { fireDue, nextDeadline } from "./timers.js";
import type { Fsm, FsmAction, FsmEvent, FsmEventName } from "./types.js";
import { FsmEventNumber, SESSION_STATES } from "./types.js";

const NAMES = Object.keys(FsmEventNumber) as FsmEventName[];

const notificationArb = fc.record({
  code: fc.integer({ min: 0, max: 255 }),
  subcode: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 4 }),
});

const openArb: fc.Arbitrary<OpenDescriptor> = fc.record({
  version: fc.constantFrom(4, 4, 4, 3),
  myAs: fc.constantFrom(64512, 64512, 65001, 23456, 0),
  holdTime: fc.constantFrom(0, 1, 2, 3, 9, 90, 240),
  bgpId: fc.constantFrom(peerOpen().bgpId, LOCAL.bgpId, 0, 0xffff_ffff),
  capabilities: fc.record(
    {
      multiprotocol: fc.subarray([
        { afi: 1, safi: 1 },
        { afi: 2, safi: 1 },
      ]),
      fourOctetAs: fc.constantFrom(64512, 4200000001),
      routeRefresh: fc.boolean(),
      role: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: [] },
  ),
});

const eventArb: fc.Arbitrary<FsmEvent> = fc
  .constantFrom(...NAMES)
  .chain((type): fc.Arbitrary<FsmEvent> => {
    switch (type) {
      case "BGPOpen":
      case "BGPOpen_with_DelayOpenTimer_running":
        return openArb.map((open) => ({ type, open }));
      case "BGPHeaderErr":
      case "BGPOpenMsgErr":
      case "UpdateMsgErr":
      case "NotifMsg":
      case "NotifMsgVerErr":
        return notificationArb.map((notification) => ({ type, notification }));
      case "ManualStop":
      case "AutomaticStop":
        return fc
          .option(notificationArb, { nil: undefined })
          .map((n) => (n ? { type, notification: n } : { type }));
      case "UpdateMsg":
        return fc.constant({ type, update: "u" });
      default:
        return fc.constant({ type } as FsmEvent);
    }
  });

/** Message events weighted up so that sessions often get far. */
const friendlyArb: fc.Arbitrary<FsmEvent> = fc.constantFrom<FsmEvent>(
  { type: "ManualStart" },
  { type: "Tcp_CR_Acked" },
  { type: "TcpConnectionConfirmed" },
  { type: "BGPOpen", open: peerOpen() },
  { type: "BGPOpen", open: peerOpen({ holdTime: 3 }) },
  { type: "KeepAliveMsg" },
  { type: "UpdateMsg", update: 1 },
);

type Input = { event: FsmEvent } | { advance: number };
const inputArb: fc.Arbitrary<Input> = fc.oneof(
  { weight: 5, arbitrary: eventArb.map((event) => ({ event })) },
  { weight: 4, arbitrary: friendlyArb.map((event) => ({ event })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 300_000 }).map((advance) => ({ advance })) },
);

const optionsArb: fc.Arbitrary<Partial<FsmOptions>> = fc.record(
  {
    holdTime: fc.constantFrom(0, 3, 9, 90),
    keepaliveTime: fc.constantFrom(0, 1, 30),
    passive: fc.boolean(),
    delayOpen: fc.boolean(),
    delayOpenTime: fc.constantFrom(0.5, 5),
    connectRetryTime: fc.constantFrom(1, 120),
    sendNotificationWithoutOpen: fc.boolean(),
    collisionDetectEstablishedState: fc.boolean(),
    allowAutomaticStart: fc.boolean(),
    dampPeerOscillations: fc.boolean(),
    idleHoldTime: fc.constantFrom(0.5, 1, 5),
    maxIdleHoldTime: fc.constantFrom(5, 60),
    idleHoldResetTime: fc.constantFrom(0, 60),
    peerAs: fc.constantFrom(64512, "internal" as const, "external" as const),
    jitter: fc.boolean(),
    jitterSeed: fc.integer(),
  },
  { requiredKeys: [] },
);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !ArrayBuffer.isView(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Checks the shape of one step's actions given the states before and after. */
function actionShape(before: Fsm, after: Fsm, actions: readonly FsmAction[]): string[] {
  const out: string[] = [];
  const t = actions.map((a) => a.type);
  const n = t.indexOf("send-notification");
  if (n >= 0 && !t.slice(n).includes("drop")) out.push("NOTIFICATION without drop");
  if (
    t.includes("session-down") !== (before.state === "Established" && after.state !== "Established")
  ) {
    out.push("session-down does not match leaving Established");
  }
  if (
    t.includes("session-up") !== (before.state !== "Established" && after.state === "Established")
  ) {
    out.push("session-up does not match entering Established");
  }
  if (t.includes("process-update") && before.state !== "Established")
    out.push("update outside Established");
  if (t.includes("send-open") && !["Connect", "Active"].includes(before.state))
    out.push("OPEN sent twice");
  if (t.includes("connect") && (after.config.passive || before.state === "OpenSent"))
    out.push("bad connect");
  return out;
}

describe("FSM properties", () => {
  it("never throws; state is one of six; timers and data agree with the state", () => {
    fc.assert(
      fc.property(optionsArb, fc.array(inputArb, { maxLength: 60 }), (options, inputs) => {
        let fsm = deepFreeze(
          createFsm(
            {
              ...LOCAL,
              ...options,
              maxIdleHoldTime: Math.max(options.maxIdleHoldTime ?? 60, options.idleHoldTime ?? 1),
            },
            T0,
          ),
        );
        let now = T0;
        for (const input of inputs) {
          if ("advance" in input) {
            now += input.advance;
            // Deliver due timers one by one, checking each step; fireDue must agree.
            const all = fireDue(fsm, now);
            const actions: FsmAction[] = [];
            for (let due = nextDeadline(fsm); due && due.at <= now; due = nextDeadline(fsm)) {
              const r = step(fsm, { type: due.event }, now);
              expect(actionShape(fsm, r.state, r.actions)).toEqual([]);
              actions.push(...r.actions);
              fsm = deepFreeze(r.state);
            }
            expect(all).toEqual({ state: fsm, actions });
          } else {
            const r = step(fsm, deepFreeze(input.event), now);
            expect(actionShape(fsm, r.state, r.actions)).toEqual([]);
            fsm = deepFreeze(r.state);
          }
          expect(SESSION_STATES).toContain(fsm.state);
          expect(invariantViolations(fsm)).toEqual([]);
          // Every deadline lies in the future of the step that set it, or is still pending.
          const due = nextDeadline(fsm);
          if (due && "advance" in input) expect(due.at).toBeGreaterThan(now);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("is deterministic: the same inputs give the same outputs", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        const play = () => {
          let fsm = createFsm(LOCAL, T0);
          const all: FsmAction[] = [];
          events.forEach((e, i) => {
            const r = step(fsm, e, T0 + i * 1000);
            fsm = r.state;
            all.push(...r.actions);
          });
          return { fsm, all };
        };
        expect(play()).toEqual(play());
      }),
      { numRuns: 100 },
    );
  });

  it("from any reachable state, ManualStop leads to Idle with no timers", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(eventArb, friendlyArb), { maxLength: 40 }), (events) => {
        let fsm = createFsm(LOCAL, T0);
        for (const e of events) fsm = step(fsm, e, T0).state;
        const r = step(fsm, { type: "ManualStop" }, T0 + 1);
        expect(r.state.state).toBe("Idle");
        expect(r.state.timers).toEqual({});
        expect(r.state.connectRetryCounter).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it("without AllowAutomaticStart the FSM never leaves Idle on its own", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 20 }),
        (advances) => {
          let fsm = step(
            createFsm({ ...LOCAL, allowAutomaticStart: false }, T0),
            { type: "ManualStart" },
            T0,
          ).state;
          fsm = step(fsm, { type: "TcpConnectionFails" }, T0).state;
          let now = T0;
          for (const a of advances) {
            now += a;
            const r = fireDue(fsm, now);
            expect(r.actions).toEqual([]);
            fsm = r.state;
          }
          expect(fsm.state).toBe("Idle");
        },
      ),
      { numRuns: 50 },
    );
  });
});
