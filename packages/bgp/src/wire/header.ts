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
import { ErrorCode, HEADER_LENGTH, HeaderSubcode } from "./constants.js";
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
