// Extended Next Hop Encoding capability, code 5 (RFC 8950 §4): a list of
// triples saying which NLRI AFI/SAFI may carry a next hop of another AFI
// (IPv4 routes with IPv6 next hops).
//
//   +-----------------------------------------------------+
//   | NLRI AFI - 1 (2 octets)                             |
//   | NLRI SAFI - 1 (2 octets)                            |
//   | Nexthop AFI - 1 (2 octets)                          |
//   | ....                                                |
//   +-----------------------------------------------------+
import { u16 } from "../bytes.js";
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, capabilityError } from "./descriptor.js";

/** One NLRI family / next-hop AFI pair of {@link ExtendedNextHopCapability}. */
export interface ExtendedNextHopEntry {
  /** NLRI AFI. */
  readonly afi: number;
  /** NLRI SAFI (2 octets here). */
  readonly safi: number;
  /** AFI of the next hop. */
  readonly nextHopAfi: number;
}

/** The speaker accepts next hops of another AFI for the listed families. */
export interface ExtendedNextHopCapability {
  readonly type: "extended-next-hop";
  /** The allowed combinations. */
  readonly entries: readonly ExtendedNextHopEntry[];
}

/** Codec of the Extended Next Hop capability. */
export const extendedNextHop: CapabilityDescriptor<ExtendedNextHopCapability> = {
  code: CapabilityCode.ExtendedNextHop,
  type: "extended-next-hop",
  decode(b, start, end) {
    if ((end - start) % 6 !== 0)
      throw capabilityError("extended next hop", "length not a multiple of 6");
    const entries: ExtendedNextHopEntry[] = [];
    for (let i = start; i < end; i += 6) {
      entries.push({ afi: u16(b, i), safi: u16(b, i + 2), nextHopAfi: u16(b, i + 4) });
    }
    return { type: "extended-next-hop", entries };
  },
  encode(cap, w) {
    for (const e of cap.entries) {
      w.u16(e.afi);
      w.u16(e.safi);
      w.u16(e.nextHopAfi);
    }
  },
};
