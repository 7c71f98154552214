// ROUTE-REFRESH message (RFC 2918 §3, subtypes of RFC 7313 §3.2):
//
//   0       7      15      23      31
//   +-------+-------+-------+-------+
//   |      AFI      | Subt. | SAFI  |
//   +-------+-------+-------+-------+
//
// Subtype 0 = refresh request, 1 = BoRR, 2 = EoRR; 255 reserved; a message
// with another subtype is to be ignored (RFC 7313 §5), so it is decoded and
// left to the session. A length other than 23 is a ROUTE-REFRESH Message
// Error, Invalid Message Length, with the whole message as data (RFC 7313 §5).
import { type ByteWriter, u16 } from "../bytes.js";

/** A ROUTE-REFRESH message. */
export interface RouteRefreshMessage {
  readonly type: "route-refresh";
  /** AFI to refresh. */
  readonly afi: number;
  /** SAFI to refresh. */
  readonly safi: number;
  /** {@link RouteRefreshSubtype}: 0 request, 1 BoRR, 2 EoRR. */
  readonly subtype: number;
}

/** Decodes a ROUTE-REFRESH body of exactly 4 octets (the caller checked the length). */
export function decodeRouteRefresh(b: Uint8Array, start: number): RouteRefreshMessage {
  return { type: "route-refresh", afi: u16(b, start), safi: b[start + 3]!, subtype: b[start + 2]! };
}

/** Writes a ROUTE-REFRESH body. */
export function encodeRouteRefresh(msg: RouteRefreshMessage, w: ByteWriter): void {
  w.u16(msg.afi);
  w.u8(msg.subtype);
  w.u8(msg.safi);
}
