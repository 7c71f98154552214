/**
 * The FSM's vocabulary (RFC 4271 §8): session states, the 28 events of §8.1
 * with their numbers, the actions the reducer asks the edge to perform, and
 * the immutable snapshot `Fsm` that `step` maps to its successor.
 */
import type { FsmConfig } from "./config.js";
import type { NotificationDescriptor } from "./notification.js";
import type { NegotiatedSession, OpenDescriptor } from "./open.js";

/** Session states (RFC 4271 §8.2.2), numbered as BGP4-MIB `bgpPeerState` (RFC 4273). */
export const SessionState = {
  Idle: 1,
  Connect: 2,
  Active: 3,
  OpenSent: 4,
  OpenConfirm: 5,
  Established: 6,
} as const;
/** The name of a session state. */
export type SessionState = keyof typeof SessionState;

/** All six state names, in RFC order. */
export const SESSION_STATES: readonly SessionState[] = Object.keys(SessionState) as SessionState[];

/** FSM events and their numbers (RFC 4271 §8.1.2–§8.1.5). */
export const FsmEventNumber = {
  ManualStart: 1,
  ManualStop: 2,
  AutomaticStart: 3,
  ManualStart_with_PassiveTcpEstablishment: 4,
  AutomaticStart_with_PassiveTcpEstablishment: 5,
  AutomaticStart_with_DampPeerOscillations: 6,
  AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment: 7,
  AutomaticStop: 8,
  ConnectRetryTimer_Expires: 9,
  HoldTimer_Expires: 10,
  KeepaliveTimer_Expires: 11,
  DelayOpenTimer_Expires: 12,
  IdleHoldTimer_Expires: 13,
  TcpConnection_Valid: 14,
  Tcp_CR_Invalid: 15,
  Tcp_CR_Acked: 16,
  TcpConnectionConfirmed: 17,
  TcpConnectionFails: 18,
  BGPOpen: 19,
  BGPOpen_with_DelayOpenTimer_running: 20,
  BGPHeaderErr: 21,
  BGPOpenMsgErr: 22,
  OpenCollisionDump: 23,
  NotifMsgVerErr: 24,
  NotifMsg: 25,
  KeepAliveMsg: 26,
  UpdateMsg: 27,
  UpdateMsgErr: 28,
} as const;
/** The name of an FSM event, exactly as RFC 4271 §8.1 spells it (spaces as `_`). */
export type FsmEventName = keyof typeof FsmEventNumber;

/** Events that carry a NOTIFICATION: the one to send (errors) or the one received. */
export type NotificationEventName =
  | "BGPHeaderErr"
  | "BGPOpenMsgErr"
  | "UpdateMsgErr"
  | "NotifMsg"
  | "NotifMsgVerErr";

/** Events without a payload. */
export type PlainEventName = Exclude<
  FsmEventName,
  | NotificationEventName
  | "ManualStop"
  | "AutomaticStop"
  | "BGPOpen"
  | "BGPOpen_with_DelayOpenTimer_running"
  | "UpdateMsg"
>;

/**
 * An FSM event (RFC 4271 §8.1). `U` is the speaker's decoded UPDATE type,
 * carried through opaquely to the `process-update` action.
 *
 * - Tcp_CR_Acked (16): our outgoing connection completed.
 * - TcpConnectionConfirmed (17): an incoming connection from the peer was accepted.
 * - BGPOpen (19) is turned into event 20 by `step` when the DelayOpenTimer runs.
 * - NotifMsg (25) with a version error is turned into NotifMsgVerErr (24).
 * - UpdateMsgErr (28) is for errors that reset the session; RFC 7606
 *   treat-as-withdraw and attribute-discard arrive as UpdateMsg (27).
 */
export type FsmEvent<U = unknown> =
  | { readonly type: PlainEventName }
  | {
      readonly type: "ManualStop" | "AutomaticStop";
      /** The Cease to send; default Administrative Shutdown (2) / Unspecified (8). */
      readonly notification?: NotificationDescriptor;
    }
  | {
      readonly type: "BGPOpen" | "BGPOpen_with_DelayOpenTimer_running";
      readonly open: OpenDescriptor;
    }
  | { readonly type: NotificationEventName; readonly notification: NotificationDescriptor }
  | { readonly type: "UpdateMsg"; readonly update?: U };

/** Which side opened the TCP connection an FSM runs on. */
export type ConnectionDirection = "outgoing" | "incoming";

/** The FSM's timers (RFC 4271 §8, §8.1.1). */
export type TimerName = "connectRetry" | "hold" | "keepalive" | "delayOpen" | "idleHold";

/** Running timers as absolute deadlines on the caller's clock, in ms; absent = stopped. */
export type Timers = { readonly [K in TimerName]?: number };

/** Why a session left Established, or why a connection attempt failed. */
export interface SessionError {
  /** The event that caused it. */
  readonly event: FsmEventName;
  /** The state it happened in. */
  readonly state: SessionState;
  /** `now` when it happened, ms. */
  readonly at: number;
  /** The NOTIFICATION we sent, if any. */
  readonly sent?: NotificationDescriptor;
  /** The NOTIFICATION the peer sent, if any. */
  readonly received?: NotificationDescriptor;
  /** A readable explanation (e.g. why an OPEN was rejected). */
  readonly reason?: string;
}

/** What the reducer asks the edge to do, in order. */
export type FsmAction<U = unknown> =
  /** Initiate a TCP connection to the peer (keep listening as well). */
  | { readonly type: "connect" }
  /** Close the TCP connection, or abandon the connection attempt. */
  | { readonly type: "drop" }
  /** Refuse the connection of a Tcp_CR_Invalid event. */
  | { readonly type: "reject" }
  /** Send our OPEN (built by the speaker from the configuration). */
  | { readonly type: "send-open" }
  /** Send a KEEPALIVE. */
  | { readonly type: "send-keepalive" }
  /** Send this NOTIFICATION (before any following `drop`). */
  | { readonly type: "send-notification"; readonly notification: NotificationDescriptor }
  /** The session is Established with these parameters. */
  | { readonly type: "session-up"; readonly session: NegotiatedSession }
  /** The session left Established: delete all routes learned from it. */
  | { readonly type: "session-down"; readonly reason: SessionError }
  /** Process the received UPDATE. */
  | { readonly type: "process-update"; readonly update: U | undefined }
  /** Release the BGP resources of this connection (§8.2.2 "releases all BGP resources"). */
  | { readonly type: "release" };

/** An immutable snapshot of one peer connection's FSM. */
export interface Fsm {
  /** Current state. */
  readonly state: SessionState;
  /** The configuration, defaults filled in. */
  readonly config: FsmConfig;
  /** ConnectRetryCounter (RFC 4271 §8). */
  readonly connectRetryCounter: number;
  /** Running timers as deadlines (ms). */
  readonly timers: Timers;
  /** Direction of the TCP connection in use; absent while there is none. */
  readonly connection?: ConnectionDirection;
  /** Negotiated parameters, present in OpenConfirm and Established. */
  readonly session?: NegotiatedSession;
  /** IdleHoldTime (seconds) the next automatic restart will wait (§8.1.1, back-off). */
  readonly idleHoldTime: number;
  /** When the session entered Established, ms. */
  readonly establishedAt?: number;
  /** When the current state was entered, ms. */
  readonly since: number;
  /** The most recent failure. */
  readonly lastError?: SessionError;
}

/** The result of `step`: the next snapshot and the actions to perform in order. */
export interface StepResult<U = unknown> {
  /** The next snapshot. */
  readonly state: Fsm;
  /** Actions for the edge, in order. */
  readonly actions: readonly FsmAction<U>[];
}
