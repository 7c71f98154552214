// Errors of the pure codec. A decode error means the peer (the kernel, or a
// capture) sent bytes that break the framing rules of RFC 3549 §2.3.2 and
// linux/netlink.h; an input error means the caller handed the encoder
// something that cannot be put on the wire (an address in the wrong family, a
// prefix length out of range). They are different classes on purpose.

/** Bytes that do not follow netlink framing or a message's layout. */
export class NetlinkDecodeError extends Error {
  override readonly name = "NetlinkDecodeError";
  constructor(
    message: string,
    /** Byte offset into the buffer being decoded where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

/** Local API misuse: a value that cannot be encoded (bad address, bad prefix, bad name). */
export class NetlinkInputError extends TypeError {
  override readonly name = "NetlinkInputError";
}
