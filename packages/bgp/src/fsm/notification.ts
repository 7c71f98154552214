/**
 * NOTIFICATION descriptors the FSM asks the edge to send, and the error codes
 * it needs (RFC 4271 §4.5 and §6; IANA "BGP Error (Notification) Codes").
 *
 * The FSM never encodes bytes: a descriptor is `{code, subcode, data}` and the
 * speaker maps it onto the wire codec's NOTIFICATION message.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Error code    | Error subcode |   Data (variable)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */

// The code points themselves live once, in ../wire/constants.ts; the names
// below are the FSM's long-standing public aliases of the same values.
import { CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode } from "../wire/constants.js";

/** NOTIFICATION error codes (RFC 4271 §4.5; 7 from RFC 7313; 8 from RFC 9687); aliases of `wire.ErrorCode`. */
export const NotifyCode = {
  MessageHeaderError: ErrorCode.MessageHeader,
  OpenMessageError: ErrorCode.OpenMessage,
  UpdateMessageError: ErrorCode.UpdateMessage,
  HoldTimerExpired: ErrorCode.HoldTimerExpired,
  FiniteStateMachineError: ErrorCode.FsmError,
  Cease: ErrorCode.Cease,
  RouteRefreshMessageError: ErrorCode.RouteRefreshMessage,
  SendHoldTimerExpired: ErrorCode.SendHoldTimerExpired,
} as const;
/** One of {@link NotifyCode}'s values. */
export type NotifyCode = (typeof NotifyCode)[keyof typeof NotifyCode];

/** OPEN Message Error subcodes (RFC 4271 §6.2; 7 from RFC 5492; 11 from RFC 9234): `wire.OpenSubcode`. */
export const NotifyOpenSubcode = OpenSubcode;
/** One of {@link NotifyOpenSubcode}'s values. */
export type NotifyOpenSubcode = (typeof NotifyOpenSubcode)[keyof typeof NotifyOpenSubcode];

/** Finite State Machine Error subcodes (RFC 6608 §3): `wire.FsmSubcode`. */
export const NotifyFsmSubcode = FsmSubcode;
/** One of {@link NotifyFsmSubcode}'s values. */
export type NotifyFsmSubcode = (typeof NotifyFsmSubcode)[keyof typeof NotifyFsmSubcode];

/** Cease subcodes (RFC 4486 §4; 9 from RFC 8538; 10 from RFC 9384): `wire.CeaseSubcode`, with the FSM's older name for 1. */
export const NotifyCeaseSubcode = {
  ...CeaseSubcode,
  MaximumNumberOfPrefixesReached: CeaseSubcode.MaximumPrefixesReached,
} as const;
/** One of {@link NotifyCeaseSubcode}'s values. */
export type NotifyCeaseSubcode = (typeof NotifyCeaseSubcode)[keyof typeof NotifyCeaseSubcode];

/** A NOTIFICATION message as plain data: what to send, or what was received. */
export interface NotificationDescriptor {
  /** Error code (RFC 4271 §4.5), see {@link NotifyCode}. */
  readonly code: number;
  /** Error subcode; 0 when the code defines none. */
  readonly subcode: number;
  /** Data field, raw bytes (may be empty). */
  readonly data: Uint8Array;
}

/** Builds a descriptor; `data` defaults to empty. */
export function notification(
  code: number,
  subcode = 0,
  data: Uint8Array = new Uint8Array(0),
): NotificationDescriptor {
  return { code, subcode, data };
}

/** Hold Timer Expired (RFC 4271 §6.5): no subcode, no data. */
export function holdTimerExpired(): NotificationDescriptor {
  return notification(NotifyCode.HoldTimerExpired);
}

/** Cease with a subcode (RFC 4486) and optional data (RFC 9003 communication). */
export function cease(
  subcode: number = NotifyCeaseSubcode.Unspecified,
  data?: Uint8Array,
): NotificationDescriptor {
  return notification(NotifyCode.Cease, subcode, data);
}

/**
 * Finite State Machine Error (RFC 4271 §6.6). RFC 6608 §3: when the cause is
 * an unexpected message the subcode names the state and the data is one octet,
 * the type of that message (RFC 4271 §4.1: 1 OPEN, 2 UPDATE, 3 NOTIFICATION,
 * 4 KEEPALIVE; RFC 2918: 5 ROUTE-REFRESH).
 */
export function fsmError(subcode: number, messageType?: number): NotificationDescriptor {
  const data = messageType === undefined ? new Uint8Array(0) : Uint8Array.of(messageType);
  return notification(NotifyCode.FiniteStateMachineError, subcode, data);
}

/** OPEN Message Error (RFC 4271 §6.2) with a subcode and optional data. */
export function openError(subcode: number, data?: Uint8Array): NotificationDescriptor {
  return notification(NotifyCode.OpenMessageError, subcode, data);
}

/**
 * True for a received NOTIFICATION that reports a version error — the
 * condition of event 24, NotifMsgVerErr (RFC 4271 §8.1.5): OPEN Message Error,
 * Unsupported Version Number.
 */
export function isVersionError(n: NotificationDescriptor): boolean {
  return (
    n.code === NotifyCode.OpenMessageError &&
    n.subcode === NotifyOpenSubcode.UnsupportedVersionNumber
  );
}
