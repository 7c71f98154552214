/**
 * FSM Error NOTIFICATIONs for unexpected events (RFC 4271 §6.6; RFC 6608 §3):
 * when the event is a received message, the subcode names the state and the
 * one-octet data carries the message type; otherwise the subcode is 0.
 */
import type { NotificationDescriptor } from "./notification.js";
import { fsmError, NotifyFsmSubcode } from "./notification.js";
import type { FsmEventName } from "./types.js";

/** BGP message types (RFC 4271 §4.1). */
const MESSAGE_TYPE = { Open: 1, Update: 2, Notification: 3, Keepalive: 4 } as const;

/** The BGP message type behind a message event (19–28), or undefined for other events. */
export function messageTypeOf(event: FsmEventName): number | undefined {
  switch (event) {
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
    case "BGPOpenMsgErr":
      return MESSAGE_TYPE.Open;
    case "KeepAliveMsg":
      return MESSAGE_TYPE.Keepalive;
    case "UpdateMsg":
    case "UpdateMsgErr":
      return MESSAGE_TYPE.Update;
    case "NotifMsg":
    case "NotifMsgVerErr":
      return MESSAGE_TYPE.Notification;
    default:
      return undefined;
  }
}

/** The FSM Error for `event` arriving unexpectedly in a state with RFC 6608 `stateSubcode`. */
export function unexpectedEvent(event: FsmEventName, stateSubcode: number): NotificationDescriptor {
  const type = messageTypeOf(event);
  return type === undefined ? fsmError(NotifyFsmSubcode.Unspecified) : fsmError(stateSubcode, type);
}
