/**
 * FSM Error NOTIFICATIONs for unexpected events (RFC 4271 §6.6; RFC 6608 §3):
 * when the event is a received message, the subcode names the state and the
 * one-octet data carries the message type; otherwise the subcode is 0.
 */
import type { NotificationDescriptor } from "./notification.js";
import { fsmError, MessageType, NotifyFsmSubcode } from "./notification.js";
import type { FsmEventName } from "./types.js";

/** The BGP message type behind a message event (19–28), or undefined for other events. */
export function messageTypeOf(event: FsmEventName): MessageType | undefined {
  switch (event) {
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
    case "BGPOpenMsgErr":
      return MessageType.Open;
    case "KeepAliveMsg":
      return MessageType.Keepalive;
    case "UpdateMsg":
    case "UpdateMsgErr":
      return MessageType.Update;
    case "NotifMsg":
    case "NotifMsgVerErr":
      return MessageType.Notification;
    default:
      return undefined;
  }
}

/** The FSM Error for `event` arriving unexpectedly in a state with RFC 6608 `stateSubcode`. */
export function unexpectedEvent(event: FsmEventName, stateSubcode: number): NotificationDescriptor {
  const type = messageTypeOf(event);
  return type === undefined ? fsmError(NotifyFsmSubcode.Unspecified) : fsmError(stateSubcode, type);
}
