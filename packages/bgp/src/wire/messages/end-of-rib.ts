// End-of-RIB markers (RFC 4724 §2): for IPv4 unicast an UPDATE with no
// withdrawn routes, no attributes and no NLRI; for any other family an
// UPDATE holding only an MP_UNREACH_NLRI with no withdrawn routes.
import { Afi, Safi } from "../constants.js";
import type { Family } from "../context.js";
import { ipv4Fields, type UpdateMessage } from "./update.js";

/** The End-of-RIB UPDATE for a family. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === Afi.Ipv4 && safi === Safi.Unicast)
    return { type: "update", withdrawn: [], attributes: [], nlri: [] };
  return {
    type: "update",
    withdrawn: [],
    attributes: [{ type: "mp-unreach", afi, safi, withdrawn: [] }],
    nlri: [],
  };
}

/** The family an UPDATE marks as End-of-RIB, or undefined if it is not a marker. */
export function endOfRibFamily(msg: UpdateMessage): Family | undefined {
  const f = ipv4Fields(msg);
  if (
    f
      ? f.withdrawn.length > 0 || f.nlri.length > 0
      : msg.withdrawn.length > 0 || msg.nlri.length > 0
  )
    return undefined;
  if (msg.attributes.length === 0) return { afi: Afi.Ipv4, safi: Safi.Unicast };
  const a = msg.attributes[0]!;
  if (
    msg.attributes.length === 1 &&
    a.type === "mp-unreach" &&
    a.withdrawn.length === 0 &&
    !a.unparsed?.length
  ) {
    return { afi: a.afi, safi: a.safi };
  }
  return undefined;
}
