/**
 * Scripted drivers for the FSM, used by its unit tests and handy for the
 * speaker's tests: build OPENs, reach a state, replay event scripts on a
 * made-up clock. Not exported from the package entry point.
 */
import { parseBgpId } from "./bgp-id.js";
import type { FsmOptions } from "./config.js";
import type { NotificationDescriptor } from "./notification.js";
import { notification } from "./notification.js";
import type { OpenDescriptor } from "./open.js";
import { createFsm, step } from "./step.js";
import { fireDue } from "./timers.js";
import type { Fsm, FsmAction, FsmEvent, SessionState } from "./types.js";

/** The start of the made-up clock, ms. */
export const T0 = 1_000_000;

/** Our side: iBGP in AS 64512 (F5's lab AS), router id 192.0.2.1. */
export const LOCAL: FsmOptions = {
  localAs: 64512,
  bgpId: parseBgpId("192.0.2.1"),
  peerAs: 64512,
};

/** The peer's OPEN: AS 64512, router id 192.0.2.2, hold time 90, 4-octet AS capable. */
export function peerOpen(over: Partial<OpenDescriptor> = {}): OpenDescriptor {
  return {
    version: 4,
    myAs: 64512,
    holdTime: 90,
    bgpId: parseBgpId("192.0.2.2"),
    capabilities: { multiprotocol: [{ afi: 1, safi: 1 }], routeRefresh: true, fourOctetAs: 64512 },
    ...over,
  };
}

/** A NOTIFICATION descriptor with empty data. */
export function notif(code: number, subcode = 0): NotificationDescriptor {
  return notification(code, subcode);
}

/** One step of a script: an event, or `{ advance: ms }` which fires due timers. */
export type ScriptStep = FsmEvent | { readonly advance: number };

/** The outcome of a script: final snapshot, clock, every action and every state visited. */
export interface ScriptRun {
  /** Final snapshot. */
  readonly fsm: Fsm;
  /** Final clock, ms. */
  readonly now: number;
  /** All actions in order. */
  readonly actions: FsmAction[];
  /** State after each script step. */
  readonly states: SessionState[];
}

/** Replays a script from `fsm` at clock `now`. */
export function run(fsm: Fsm, script: readonly ScriptStep[], now = T0): ScriptRun {
  const actions: FsmAction[] = [];
  const states: SessionState[] = [];
  for (const s of script) {
    if ("advance" in s) {
      now += s.advance;
      const r = fireDue(fsm, now);
      fsm = r.state;
      actions.push(...r.actions);
    } else {
      const r = step(fsm, s, now);
      fsm = r.state;
      actions.push(...r.actions);
    }
    states.push(fsm.state);
  }
  return { fsm, now, actions, states };
}

/** Scripts that lead from a new FSM to each state (active peer, no DelayOpen). */
export const PATH_TO: Readonly<Record<SessionState, readonly ScriptStep[]>> = {
  Idle: [],
  Connect: [{ type: "ManualStart" }],
  Active: [{ type: "ManualStart_with_PassiveTcpEstablishment" }],
  OpenSent: [{ type: "ManualStart" }, { type: "Tcp_CR_Acked" }],
  OpenConfirm: [
    { type: "ManualStart" },
    { type: "Tcp_CR_Acked" },
    { type: "BGPOpen", open: peerOpen() },
  ],
  Established: [
    { type: "ManualStart" },
    { type: "Tcp_CR_Acked" },
    { type: "BGPOpen", open: peerOpen() },
    { type: "KeepAliveMsg" },
  ],
};

/** A new FSM (options merged over {@link LOCAL}) driven into `state` at {@link T0}. */
export function reach(state: SessionState, options: Partial<FsmOptions> = {}): Fsm {
  const r = run(createFsm({ ...LOCAL, ...options }, T0), PATH_TO[state]);
  if (r.fsm.state !== state) throw new Error(`harness: reached ${r.fsm.state}, not ${state}`);
  return r.fsm;
}

/** The action types of a list, for compact assertions. */
export function types(actions: readonly FsmAction[]): string[] {
  return actions.map((a) => a.type);
}
