// KEEPALIVE message (RFC 4271 §4.4): the header alone, 19 octets.

/** A KEEPALIVE message. */
export interface KeepaliveMessage {
  readonly type: "keepalive";
}

/** The KEEPALIVE message object. */
export const KEEPALIVE: KeepaliveMessage = { type: "keepalive" };
