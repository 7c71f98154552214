// The BGP message header and framing (RFC 4271 §4.1), kept apart from
// decoding so a transport can cut a byte stream into messages before the
// session knows what is inside:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   +                                                               +
//   |                           Marker (all ones)                   |
//   +                                                               +
//   |                                                               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          Length               |      Type     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { u16 } from "./bytes.js";
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
} from "./constants.js";
import type { CodecContext } from "./context.js";
import { BgpDecodeError } from "./errors.js";

/** A Message Header Error (RFC 4271 §6.1), session reset. */
export function headerError(message: string, subcode: number, data?: Uint8Array): BgpDecodeError {
  return new BgpDecodeError(message, { code: ErrorCode.MessageHeader, subcode, data });
}

/**
 * The total length of the message starting at `bytes[offset]`, or undefined
 * while fewer than 19 octets (a whole header) are available. Throws
 * {@link BgpDecodeError} if the marker is not all ones (Connection Not
 * Synchronized) or the length is below 19 (Bad Message Length). The upper
 * bound depends on negotiation and is checked by `decodeMessage`.
 */
export function messageLength(bytes: Uint8Array, offset = 0): number | undefined {
  if (bytes.length - offset < HEADER_LENGTH) return undefined;
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== 0xff)
      throw headerError("marker is not all ones", HeaderSubcode.ConnectionNotSynchronized);
  }
  const len = u16(bytes, offset + 16);
  if (len < HEADER_LENGTH) {
    throw headerError(
      `message length ${len}`,
      HeaderSubcode.BadMessageLength,
      bytes.slice(offset + 16, offset + 18),
    );
  }
  return len;
}

/**
 * The smallest length of each message type (RFC 4271 §4.2 OPEN 29, §4.3
 * UPDATE 23, §4.5 NOTIFICATION 21, §4.4 KEEPALIVE exactly 19; RFC 2918 §3
 * ROUTE-REFRESH 23). A type missing here is unknown (Bad Message Type).
 */
export const MIN_MESSAGE_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  [MessageType.RouteRefresh]: 23,
};

/**
 * The largest message a session may exchange: 4096 octets, or 65,535 once
 * both speakers announced Extended Message (RFC 8654 §3) — except OPEN, which
 * is never above 4096 (RFC 8654 §4). `type` undefined: any type but OPEN.
 */
export function maxMessageLength(
  ctx: Pick<CodecContext, "extendedMessage">,
  type?: number,
): number {
  return ctx.extendedMessage && type !== MessageType.Open
    ? MAX_EXTENDED_MESSAGE_LENGTH
    : MAX_MESSAGE_LENGTH;
}

/**
 * Checks the header at `bytes[offset]` as soon as its 19 octets are there, so
 * a broken header is answered at once instead of after the peer has sent (or
 * never sends) the octets it announced (RFC 4271 §6.1). Returns the message
 * length, or undefined while fewer than 19 octets are available. Throws
 * {@link BgpDecodeError}:
 * - 1/1 Connection Not Synchronized: the marker is not all ones;
 * - 1/2 Bad Message Length, data the Length field: below 19, above
 *   `maxLength` (above 4096 for an OPEN, RFC 8654 §4), below the type's
 *   minimum, or a KEEPALIVE other than 19;
 * - 1/3 Bad Message Type, data the Type octet: a type not in
 *   {@link MIN_MESSAGE_LENGTH}.
 *
 * A ROUTE-REFRESH whose length is not 23 passes: RFC 7313 §5 answers it with
 * ROUTE-REFRESH Message Error / Invalid Message Length carrying the complete
 * message, so `decodeMessage` decides once the message is whole (it is at most
 * `maxLength` octets, which the hold timer bounds in time).
 */
export function checkHeader(
  bytes: Uint8Array,
  offset = 0,
  maxLength: number = MAX_MESSAGE_LENGTH,
): number | undefined {
  if (bytes.length - offset < HEADER_LENGTH) return undefined;
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== 0xff)
      throw headerError("marker is not all ones", HeaderSubcode.ConnectionNotSynchronized);
  }
  const len = u16(bytes, offset + 16);
  const type = bytes[offset + 18]!;
  const max = type === MessageType.Open ? Math.min(maxLength, MAX_MESSAGE_LENGTH) : maxLength;
  const badLength = (why: string) =>
    headerError(
      `message length ${len} ${why}`,
      HeaderSubcode.BadMessageLength,
      bytes.slice(offset + 16, offset + 18),
    );
  if (len < HEADER_LENGTH) throw badLength(`is below ${HEADER_LENGTH}`);
  if (len > max) throw badLength(`exceeds the maximum of ${max}`);
  const min = MIN_MESSAGE_LENGTH[type];
  if (min === undefined)
    throw headerError(`message type ${type}`, HeaderSubcode.BadMessageType, Uint8Array.of(type));
  if (type === MessageType.RouteRefresh) return len;
  if (len < min) throw badLength(`is below ${min} for message type ${type}`);
  if (type === MessageType.Keepalive && len !== HEADER_LENGTH)
    throw badLength("for a KEEPALIVE (must be 19)");
  return len;
}
