// Whole rtnetlink messages: a discriminated union over what a receive buffer
// can hold, the decoder that frames and dispatches on nlmsg_type, and the
// encoder of requests. See header.ts for the framing rules.

import { type Address, decodeAddress, encodeAddress } from "./address.js";
import { type RawAttr, Writer } from "./bytes.js";
import { NlmsgType, Rtm } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";
import {
  beginMessage,
  decodeDone,
  decodeError,
  endMessage,
  NLMSG_HDRLEN,
  type NlError,
  type NlHeader,
  type NlHeaderInit,
  splitMessages,
} from "./header.js";
import { decodeLink, encodeLink, type Link } from "./link.js";
import { decodeNeighbour, encodeNeighbour, type Neighbour } from "./neighbour.js";
import { decodeRoute, encodeRoute, type Route } from "./route.js";

/** A decoded netlink message. */
export type Message =
  | { readonly kind: "link"; readonly header: NlHeader; readonly link: Link }
  | { readonly kind: "address"; readonly header: NlHeader; readonly address: Address }
  | { readonly kind: "route"; readonly header: NlHeader; readonly route: Route }
  | { readonly kind: "neighbour"; readonly header: NlHeader; readonly neighbour: Neighbour }
  | { readonly kind: "error"; readonly header: NlHeader; readonly error: NlError }
  | { readonly kind: "done"; readonly header: NlHeader; readonly errno: number }
  | { readonly kind: "noop"; readonly header: NlHeader }
  | { readonly kind: "unknown"; readonly header: NlHeader; readonly payload: Uint8Array };

/** The body of a request to encode. */
export type Body =
  | { readonly kind: "link"; readonly link: Link }
  | { readonly kind: "address"; readonly address: Address }
  | { readonly kind: "route"; readonly route: Route }
  | { readonly kind: "neighbour"; readonly neighbour: Neighbour }
  /** A bare family byte padded to 4 (struct rtgenmsg), e.g. for dumps. */
  | { readonly kind: "rtgen"; readonly family: number }
  | { readonly kind: "raw"; readonly bytes: Uint8Array };

/** Decodes every message in a datagram. Throws {@link NetlinkDecodeError}. */
export function decodeMessages(b: Uint8Array): Message[] {
  return splitMessages(b).map((f) => decodeFrame(f.header, f.payload, f.offset + NLMSG_HDRLEN));
}

/** Decodes one framed message. `base` is the payload's offset in the datagram. */
export function decodeFrame(header: NlHeader, p: Uint8Array, base = NLMSG_HDRLEN): Message {
  switch (header.type) {
    case NlmsgType.noop:
      return { kind: "noop", header };
    case NlmsgType.error:
      return { kind: "error", header, error: decodeError(p, header.flags, base) };
    case NlmsgType.done:
      return { kind: "done", header, errno: decodeDone(p, base) };
    case NlmsgType.overrun:
      throw new NetlinkDecodeError("NLMSG_OVERRUN: data lost", base);
    case Rtm.newLink:
    case Rtm.delLink:
    case Rtm.getLink:
    case Rtm.setLink:
      return { kind: "link", header, link: decodeLink(p, base) };
    case Rtm.newAddr:
    case Rtm.delAddr:
    case Rtm.getAddr:
      return { kind: "address", header, address: decodeAddress(p, base) };
    case Rtm.newRoute:
    case Rtm.delRoute:
    case Rtm.getRoute:
      return { kind: "route", header, route: decodeRoute(p, base) };
    case Rtm.newNeigh:
    case Rtm.delNeigh:
    case Rtm.getNeigh:
      return { kind: "neighbour", header, neighbour: decodeNeighbour(p, base) };
    default:
      return { kind: "unknown", header, payload: p.slice() };
  }
}

/** Appends one request message to `w`. */
export function encodeMessage(w: Writer, h: NlHeaderInit, body: Body): void {
  const at = beginMessage(w, h);
  switch (body.kind) {
    case "link":
      encodeLink(w, body.link);
      break;
    case "address":
      encodeAddress(w, body.address);
      break;
    case "route":
      encodeRoute(w, body.route);
      break;
    case "neighbour":
      encodeNeighbour(w, body.neighbour);
      break;
    case "rtgen":
      w.u8(body.family);
      w.u8(0);
      w.u16(0);
      break;
    case "raw":
      w.bytes(body.bytes);
      break;
  }
  endMessage(w, at);
}

/** Encodes a single request message into fresh bytes. */
export function encode(h: NlHeaderInit, body: Body): Uint8Array {
  const w = new Writer(256);
  encodeMessage(w, h, body);
  return w.finish();
}

/** Re-exported for users who build their own bodies. */
export type { RawAttr };
