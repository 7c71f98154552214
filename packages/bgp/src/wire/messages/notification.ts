// NOTIFICATION message (RFC 4271 §4.5):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Error code    | Error subcode |   Data (variable)             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// For Cease / Administrative Shutdown (2) and Administrative Reset (4) the
// data may be a Shutdown Communication (RFC 9003 §2): a length octet and up
// to 255 octets of UTF-8. Cease subcodes are those of RFC 4486 §4; for
// Maximum Number of Prefixes Reached (1) the data may be AFI (2 octets),
// SAFI (1) and the upper bound (4), RFC 4486 §4.
import { type ByteWriter, u16, u32 } from "../bytes.js";
import { CeaseSubcode, ErrorCode, HEADER_LENGTH } from "../constants.js";
import { type BgpDecodeError, BgpEncodeError } from "../errors.js";

/** A NOTIFICATION message. */
export interface NotificationMessage {
  readonly type: "notification";
  /** Error code ({@link ErrorCode}). */
  readonly code: number;
  /** Error subcode. */
  readonly subcode: number;
  /** Data field, raw. */
  readonly data: Uint8Array;
  /** The RFC 9003 Shutdown Communication, when the data holds a valid one. */
  readonly shutdownMessage?: string;
  /** For Cease / Maximum Number of Prefixes Reached with the RFC 4486 data. */
  readonly maxPrefixes?: { readonly afi: number; readonly safi: number; readonly limit: number };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const toUtf8 = new TextEncoder();

/** Decodes a NOTIFICATION body (at least 2 octets; the caller checked). */
export function decodeNotification(b: Uint8Array, start: number, end: number): NotificationMessage {
  const code = b[start]!;
  const subcode = b[start + 1]!;
  const data = b.slice(start + 2, end);
  const msg: NotificationMessage = { type: "notification", code, subcode, data };
  if (
    code === ErrorCode.Cease &&
    subcode === CeaseSubcode.MaximumPrefixesReached &&
    data.length === 7
  ) {
    return { ...msg, maxPrefixes: { afi: u16(data, 0), safi: data[2]!, limit: u32(data, 3) } };
  }
  const shutdown =
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown ||
      subcode === CeaseSubcode.AdministrativeReset);
  // A length of 0 means no communication (RFC 9003 §2).
  if (shutdown && data.length > 0 && data[0]! > 0 && data[0]! + 1 <= data.length) {
    // RFC 9003 §2: an invalid communication is ignored (logged), not an error.
    try {
      return { ...msg, shutdownMessage: utf8.decode(data.subarray(1, 1 + data[0]!)) };
    } catch {
      return msg;
    }
  }
  return msg;
}

/** Writes a NOTIFICATION body. */
export function encodeNotification(msg: NotificationMessage, w: ByteWriter): void {
  w.u8(msg.code);
  w.u8(msg.subcode);
  w.bytes(msg.data);
}

/** Builds a NOTIFICATION from its code, subcode and data. */
export function notificationMessage(
  code: number,
  subcode: number,
  data?: Uint8Array,
): NotificationMessage {
  return { type: "notification", code, subcode, data: data ?? new Uint8Array(0) };
}

/**
 * A Cease NOTIFICATION with an RFC 9003 Shutdown Communication (subcode 2
 * Administrative Shutdown by default, or 4 Administrative Reset). Throws
 * {@link BgpEncodeError} if the UTF-8 text exceeds 255 octets.
 */
export function shutdownNotification(
  message: string,
  subcode: number = CeaseSubcode.AdministrativeShutdown,
): NotificationMessage {
  const text = toUtf8.encode(message);
  if (text.length > 255) throw new BgpEncodeError("Shutdown Communication longer than 255 octets");
  const data = new Uint8Array(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return message === ""
    ? { type: "notification", code: ErrorCode.Cease, subcode, data }
    : { type: "notification", code: ErrorCode.Cease, subcode, data, shutdownMessage: message };
}

/**
 * The NOTIFICATION cut to fit in a message of `maxLength` octets (4096, or
 * 65,535 with Extended Message; see `maxMessageLength`): the data keeps its
 * first `maxLength − 21` octets. RFC 4271 §4.5 gives the data no length of its
 * own — it is whatever the message length leaves — so a reply whose data would
 * not fit (the complete over-long ROUTE-REFRESH that RFC 7313 §5 asks for, an
 * UPDATE's malformed attribute) is sent with as much as fits: the peer still
 * learns the code and subcode, and encoding can no longer fail.
 */
export function fitNotification(msg: NotificationMessage, maxLength: number): NotificationMessage {
  const room = Math.max(0, maxLength - HEADER_LENGTH - 2);
  if (msg.data.length <= room) return msg;
  return notificationMessage(msg.code, msg.subcode, msg.data.subarray(0, room));
}

/** The NOTIFICATION a session sends for a decode error (RFC 4271 §6). */
export function notificationFromError(err: BgpDecodeError): NotificationMessage {
  return notificationMessage(err.code, err.subcode, err.data);
}

/** A Cease / Maximum Number of Prefixes Reached NOTIFICATION with its RFC 4486 §4 data. */
export function maxPrefixesNotification(
  afi: number,
  safi: number,
  limit: number,
): NotificationMessage {
  const data = Uint8Array.of(
    afi >> 8,
    afi & 0xff,
    safi,
    limit >>> 24,
    (limit >>> 16) & 0xff,
    (limit >>> 8) & 0xff,
    limit & 0xff,
  );
  return {
    type: "notification",
    code: ErrorCode.Cease,
    subcode: CeaseSubcode.MaximumPrefixesReached,
    data,
    maxPrefixes: { afi, safi, limit },
  };
}
