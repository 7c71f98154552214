// The netlink message header and the messages netlink itself defines
// (linux/netlink.h; RFC 3549 §2.3.2): framing of a receive buffer into
// messages, NLMSG_DONE, and NLMSG_ERROR with the extended ACK.
//
// struct nlmsghdr (16 bytes, host byte order):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     nlmsg_len (header + payload)              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          nlmsg_type           |          nlmsg_flags          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                          nlmsg_seq                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                          nlmsg_pid                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// struct nlmsgerr: a negative errno (0 for an ACK), then the header of the
// request it answers (and the request's payload unless NLM_F_CAPPED), then,
// with NLM_F_ACK_TLVS, extended-ACK attributes: NLMSGERR_ATTR_MSG (the
// kernel's text), NLMSGERR_ATTR_OFFS (offset of the offending attribute in the
// request), NLMSGERR_ATTR_MISS_TYPE (a missing attribute's type).
import { align4, forEachAttr, HOST_LE, readString, readU32, viewOf, type Writer } from "./bytes.js";
import { NlmFlags, NlmsgerrAttr, NlmsgType } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";

/** Size of struct nlmsghdr. */
export const NLMSG_HDRLEN = 16;

/** A decoded struct nlmsghdr. */
export interface NlHeader {
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
}

/** What the header of a message to send carries (length is computed). */
export interface NlHeaderInit {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid?: number;
}

/** Starts a message: writes a header with a placeholder length; returns its offset. */
export function beginMessage(w: Writer, h: NlHeaderInit): number {
  const at = w.length;
  w.u32(0);
  w.u16(h.type);
  w.u16(h.flags);
  w.u32(h.seq);
  w.u32(h.pid ?? 0);
  return at;
}

/** Ends a message begun at `at`: writes nlmsg_len and pads to 4 bytes. */
export function endMessage(w: Writer, at: number): void {
  w.patch32(at, w.length - at);
  w.pad();
}

/** Decodes the 16-byte header at `off`; throws on short input. */
export function decodeHeader(b: Uint8Array, off = 0): NlHeader {
  if (b.length - off < NLMSG_HDRLEN) throw new NetlinkDecodeError("short nlmsghdr", off);
  return {
    length: u32At(b, off),
    type: u16At(b, off + 4),
    flags: u16At(b, off + 6),
    seq: u32At(b, off + 8),
    pid: u32At(b, off + 12),
  };
}

// Byte reads without a DataView per message (dumps frame 100,000s of them).
function u16At(b: Uint8Array, at: number): number {
  return HOST_LE ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}
function u32At(b: Uint8Array, at: number): number {
  return HOST_LE
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Length of the first complete message in `b` at `off` (framing, apart from
 * decoding), or throws when the header's length is impossible.
 */
export function messageLength(b: Uint8Array, off = 0): number {
  if (b.length - off < NLMSG_HDRLEN) throw new NetlinkDecodeError("short nlmsghdr", off);
  const len = u32At(b, off);
  if (len < NLMSG_HDRLEN || off + len > b.length) {
    throw new NetlinkDecodeError(`nlmsg_len ${len} out of bounds`, off);
  }
  return len;
}

/** One framed message: its header and its payload (a view into the buffer). */
export interface Frame {
  readonly header: NlHeader;
  readonly payload: Uint8Array;
  /** Offset of the message in the buffer. */
  readonly offset: number;
}

/** Splits a datagram into messages (several per datagram in a multipart reply). */
export function splitMessages(b: Uint8Array): Frame[] {
  const out: Frame[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < NLMSG_HDRLEN) {
      throw new NetlinkDecodeError("trailing bytes after last message", off);
    }
    const len = messageLength(b, off);
    const header = decodeHeader(b, off);
    out.push({ header, payload: b.subarray(off + NLMSG_HDRLEN, off + len), offset: off });
    off += align4(len);
  }
  return out;
}

/** A decoded NLMSG_ERROR: an ACK when `errno` is 0. */
export interface NlError {
  /** Positive errno (the kernel sends it negated); 0 is an acknowledgement. */
  readonly errno: number;
  /** Header of the request this answers. */
  readonly request: NlHeader;
  /** The kernel's explanation (extended ACK, NLMSGERR_ATTR_MSG). */
  readonly message?: string;
  /** Offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS). */
  readonly offset?: number;
  /** Type of a missing attribute (NLMSGERR_ATTR_MISS_TYPE). */
  readonly missingType?: number;
}

/** Decodes an NLMSG_ERROR payload; `flags` are the error message's own flags. */
export function decodeError(payload: Uint8Array, flags: number, base = NLMSG_HDRLEN): NlError {
  if (payload.length < 4 + NLMSG_HDRLEN) {
    throw new NetlinkDecodeError("short nlmsgerr", base);
  }
  const v = viewOf(payload);
  const err = v.getInt32(0, HOST_LE);
  if (err > 0) throw new NetlinkDecodeError(`nlmsgerr error ${err} is positive`, base);
  const request = decodeHeader(payload, 4);
  let tlvAt = 4 + NLMSG_HDRLEN;
  if (!(flags & NlmFlags.capped)) {
    if (request.length < NLMSG_HDRLEN) {
      throw new NetlinkDecodeError("nlmsgerr quotes a request shorter than its header", base + 4);
    }
    tlvAt = 4 + align4(request.length);
  }
  let message: string | undefined;
  let offset: number | undefined;
  let missingType: number | undefined;
  if (flags & NlmFlags.ackTlvs && tlvAt <= payload.length) {
    forEachAttr(payload, tlvAt, payload.length, base, (type, value) => {
      if (type === NlmsgerrAttr.msg) message = readString(value);
      else if (type === NlmsgerrAttr.offs) offset = readU32(value, base);
      else if (type === NlmsgerrAttr.missType) missingType = readU32(value, base);
    });
  }
  return {
    errno: -err,
    request,
    ...(message !== undefined ? { message } : {}),
    ...(offset !== undefined ? { offset } : {}),
    ...(missingType !== undefined ? { missingType } : {}),
  };
}

/** Encodes an NLMSG_ERROR (used by tests and by fakes of the kernel). */
export function encodeError(
  w: Writer,
  h: NlHeaderInit,
  e: { errno: number; request: NlHeader; message?: string },
): void {
  const flags = NlmFlags.capped | (e.message !== undefined ? NlmFlags.ackTlvs : 0);
  const at = beginMessage(w, { ...h, type: NlmsgType.error, flags: h.flags | flags });
  w.i32(-e.errno);
  w.u32(e.request.length);
  w.u16(e.request.type);
  w.u16(e.request.flags);
  w.u32(e.request.seq);
  w.u32(e.request.pid);
  if (e.message !== undefined) w.attrString(NlmsgerrAttr.msg, e.message);
  endMessage(w, at);
}

/** The error code an NLMSG_DONE carries (0, or a negative errno if the dump failed). */
export function decodeDone(payload: Uint8Array, base = NLMSG_HDRLEN): number {
  if (payload.length === 0) return 0;
  if (payload.length < 4) throw new NetlinkDecodeError("short NLMSG_DONE", base);
  return -viewOf(payload).getInt32(0, HOST_LE);
}
