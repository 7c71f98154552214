// decodeMessage / encodeMessage: one whole BGP message (header included) to
// and from a discriminated union of plain objects. Header checks follow
// RFC 4271 §6.1 (per-type minimum lengths), RFC 8654 §4 (maximum length by
// negotiation; OPEN never above 4096) and RFC 7313 §5 (ROUTE-REFRESH length).
import { ByteWriter } from "./bytes.js";
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MessageType,
  RouteRefreshSubcode,
} from "./constants.js";
import { type CodecContext, DEFAULT_CONTEXT } from "./context.js";
import { BgpDecodeError, BgpEncodeError, type ErrorAction } from "./errors.js";
import { checkHeader, headerError, MIN_MESSAGE_LENGTH, maxMessageLength } from "./header.js";
import type { KeepaliveMessage } from "./messages/keepalive.js";
import {
  decodeNotification,
  encodeNotification,
  type NotificationMessage,
} from "./messages/notification.js";
import { decodeOpen, encodeOpen, type OpenMessage } from "./messages/open.js";
import {
  decodeRouteRefresh,
  encodeRouteRefresh,
  type RouteRefreshMessage,
} from "./messages/route-refresh.js";
import { decodeUpdate, encodeUpdate, type UpdateMessage } from "./messages/update.js";

/** Any BGP message, discriminated by `type`. */
export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/** A decoded message with the non-fatal UPDATE errors of RFC 7606 (empty for other types). */
export interface DecodedMessage {
  /** The message. */
  readonly message: BgpMessage;
  /** Errors the session survives (treat-as-withdraw, attribute-discard). */
  readonly errors: readonly BgpDecodeError[];
  /** The strongest action among `errors`, or undefined. */
  readonly action: ErrorAction | undefined;
}

const NO_ERRORS: readonly BgpDecodeError[] = Object.freeze([]);

/**
 * Decodes one whole message (as cut by {@link Framer}). Throws
 * {@link BgpDecodeError} for anything that must reset the session.
 */
export function decodeMessage(
  bytes: Uint8Array,
  ctx: CodecContext = DEFAULT_CONTEXT,
): DecodedMessage {
  if (bytes.length < HEADER_LENGTH) {
    throw headerError(`message of ${bytes.length} octets`, HeaderSubcode.BadMessageLength);
  }
  const max = maxMessageLength(ctx, bytes[18]);
  const len = checkHeader(bytes, 0, max)!;
  const type = bytes[18]!;
  if (len !== bytes.length) {
    throw headerError(
      `message length ${len} (have ${bytes.length})`,
      HeaderSubcode.BadMessageLength,
      bytes.slice(16, 18),
    );
  }
  if (type === MessageType.RouteRefresh && len !== MIN_MESSAGE_LENGTH[type]) {
    // RFC 7313 §5: the data is the complete message. When that does not fit
    // in a NOTIFICATION, the sender cuts it (fitNotification).
    throw new BgpDecodeError(`ROUTE-REFRESH of ${len} octets`, {
      code: ErrorCode.RouteRefreshMessage,
      subcode: RouteRefreshSubcode.InvalidMessageLength,
      data: bytes.slice(),
    });
  }
  switch (type) {
    case MessageType.Open:
      return {
        message: decodeOpen(bytes, HEADER_LENGTH, len),
        errors: NO_ERRORS,
        action: undefined,
      };
    case MessageType.Update:
      return decodeUpdate(bytes, HEADER_LENGTH, len, ctx);
    case MessageType.Notification:
      return {
        message: decodeNotification(bytes, HEADER_LENGTH, len),
        errors: NO_ERRORS,
        action: undefined,
      };
    case MessageType.Keepalive:
      return { message: { type: "keepalive" }, errors: NO_ERRORS, action: undefined };
    default:
      return {
        message: decodeRouteRefresh(bytes, HEADER_LENGTH),
        errors: NO_ERRORS,
        action: undefined,
      };
  }
}

const typeCode: Record<BgpMessage["type"], number> = {
  open: MessageType.Open,
  update: MessageType.Update,
  notification: MessageType.Notification,
  keepalive: MessageType.Keepalive,
  "route-refresh": MessageType.RouteRefresh,
};

/**
 * Encodes one message with its header. Throws {@link BgpEncodeError} if it
 * would exceed the negotiated maximum length (4096, or 65535 with Extended
 * Message; RFC 8654) or a field does not fit.
 */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext = DEFAULT_CONTEXT): Uint8Array {
  const w = new ByteWriter(msg.type === "update" ? 512 : 64);
  w.bytes(MARKER);
  w.u16(0);
  const code = typeCode[msg.type];
  if (code === undefined) throw new BgpEncodeError(`unknown message type ${String(msg.type)}`);
  w.u8(code);
  switch (msg.type) {
    case "open":
      encodeOpen(msg, w);
      break;
    case "update":
      encodeUpdate(msg, w, ctx);
      break;
    case "notification":
      encodeNotification(msg, w);
      break;
    case "route-refresh":
      encodeRouteRefresh(msg, w);
      break;
    case "keepalive":
      break;
  }
  const max = maxMessageLength(ctx, code);
  if (w.pos > max)
    throw new BgpEncodeError(`${msg.type} message of ${w.pos} octets exceeds ${max}`);
  w.patch16(16, w.pos);
  return w.finish();
}

const MARKER = new Uint8Array(16).fill(0xff);
