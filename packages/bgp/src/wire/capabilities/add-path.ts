// ADD-PATH capability, code 69 (RFC 7911 §4):
//
//   +------------------------------------------------+
//   | Address Family Identifier (2 octets)           |
//   | Subsequent Address Family Identifier (1 octet) |
//   | Send/Receive (1 octet)                         |
//   +------------------------------------------------+  ... repeated
import { u16 } from "../bytes.js";
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, capabilityError } from "./descriptor.js";

/** One family entry of {@link AddPathCapability}. */
export interface AddPathFamily {
  /** AFI. */
  readonly afi: number;
  /** SAFI. */
  readonly safi: number;
  /** 1 receive, 2 send, 3 both ({@link AddPathMode}). */
  readonly mode: number;
}

/** The sender can send and/or receive several paths per prefix. */
export interface AddPathCapability {
  readonly type: "add-path";
  /** Per-family Send/Receive. */
  readonly families: readonly AddPathFamily[];
}

/** Codec of the ADD-PATH capability. */
export const addPath: CapabilityDescriptor<AddPathCapability> = {
  code: CapabilityCode.AddPath,
  type: "add-path",
  decode(b, start, end) {
    if ((end - start) % 4 !== 0) throw capabilityError("ADD-PATH", "length not a multiple of 4");
    const families: AddPathFamily[] = [];
    for (let i = start; i < end; i += 4) {
      families.push({ afi: u16(b, i), safi: b[i + 2]!, mode: b[i + 3]! });
    }
    return { type: "add-path", families };
  },
  encode(cap, w) {
    for (const f of cap.families) {
      w.u16(f.afi);
      w.u8(f.safi);
      w.u8(f.mode);
    }
  },
};
