// Graceful Restart capability, code 64 (RFC 4724 §3, flags of RFC 8538 §2):
//
//   +--------------------------------------------------+
//   | Restart Flags (4 bits) | Restart Time (12 bits)  |
//   +--------------------------------------------------+
//   | AFI (16 bits)                                    |
//   | SAFI (8 bits)                                    |
//   | Flags for Address Family (8 bits)                |
//   | ...                                              |
//   +--------------------------------------------------+
import { u16 } from "../bytes.js";
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, capabilityError } from "./descriptor.js";

/** Restart Flags bits (in the 4-bit field): R = restarting, N = notification support. */
export const GracefulRestartFlag = { Restarting: 0x8, Notification: 0x4 } as const;
/** Per-family flag bit: F = forwarding state preserved. */
export const GracefulRestartFamilyFlag = { ForwardingPreserved: 0x80 } as const;

/** One family entry of {@link GracefulRestartCapability}. */
export interface GracefulRestartFamily {
  /** AFI. */
  readonly afi: number;
  /** SAFI. */
  readonly safi: number;
  /** Flags octet ({@link GracefulRestartFamilyFlag}). */
  readonly flags: number;
}

/** The sender supports graceful restart (as restarting or receiving speaker). */
export interface GracefulRestartCapability {
  readonly type: "graceful-restart";
  /** The 4 Restart Flags bits ({@link GracefulRestartFlag}). */
  readonly flags: number;
  /** Restart Time in seconds (12 bits). */
  readonly restartTime: number;
  /** Families whose state is preserved. */
  readonly families: readonly GracefulRestartFamily[];
}

/** Codec of the Graceful Restart capability. */
export const gracefulRestart: CapabilityDescriptor<GracefulRestartCapability> = {
  code: CapabilityCode.GracefulRestart,
  type: "graceful-restart",
  decode(b, start, end) {
    if (end - start < 2 || (end - start - 2) % 4 !== 0) {
      throw capabilityError("graceful restart", `length ${end - start}`);
    }
    const head = u16(b, start);
    const families: GracefulRestartFamily[] = [];
    for (let i = start + 2; i < end; i += 4) {
      families.push({ afi: u16(b, i), safi: b[i + 2]!, flags: b[i + 3]! });
    }
    return { type: "graceful-restart", flags: head >> 12, restartTime: head & 0xfff, families };
  },
  encode(cap, w) {
    w.u16(((cap.flags & 0xf) << 12) | (cap.restartTime & 0xfff));
    for (const f of cap.families) {
      w.u16(f.afi);
      w.u8(f.safi);
      w.u8(f.flags);
    }
  },
};
