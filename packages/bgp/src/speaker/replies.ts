// How a session answers a peer's bad bytes, as pure functions (no I/O), so a
// property test can drive exactly what the session runs:
//
//   BgpDecodeError ─errorEvent─► FSM event ─step─► send-notification
//   NotificationDescriptor ─notificationReply─► NOTIFICATION within the maximum
//
// RFC 4271 §6.1–§6.3 name the events; RFC 4271 §4.5 and RFC 8654 bound the
// NOTIFICATION (4096 octets, 65,535 with Extended Message).
import type { FsmEvent, NotificationDescriptor } from "../fsm/index.js";
import {
  BgpDecodeError,
  type CodecContext,
  ErrorCode,
  fitNotification,
  maxMessageLength,
  type NotificationMessage,
  notificationMessage,
} from "../wire/index.js";

/**
 * The FSM event a decode error raises: Message Header Error → BGPHeaderErr
 * (event 21), OPEN Message Error → BGPOpenMsgErr (22), anything else (UPDATE,
 * ROUTE-REFRESH) → UpdateMsgErr (28). Undefined for an error that is not a
 * {@link BgpDecodeError} (not the peer's doing).
 */
export function errorEvent(e: unknown): FsmEvent | undefined {
  if (!(e instanceof BgpDecodeError)) return undefined;
  const notification = { code: e.code, subcode: e.subcode, data: e.data };
  if (e.code === ErrorCode.MessageHeader) return { type: "BGPHeaderErr", notification };
  if (e.code === ErrorCode.OpenMessage) return { type: "BGPOpenMsgErr", notification };
  return { type: "UpdateMsgErr", notification };
}

/** The NOTIFICATION to send for a descriptor, its data cut to fit the session's maximum. */
export function notificationReply(
  n: NotificationDescriptor,
  ctx: CodecContext,
): NotificationMessage {
  return fitNotification(
    notificationMessage(n.code, n.subcode, n.data),
    maxMessageLength(ctx, 3 /* NOTIFICATION */),
  );
}
