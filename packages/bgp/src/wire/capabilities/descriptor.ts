// The shape every capability file exports, and the error it throws
// (RFC 5492 §3: Capability Code, Capability Length, Capability Value).
import type { ByteWriter } from "../bytes.js";
import { ErrorCode, OpenSubcode } from "../constants.js";
import { BgpDecodeError } from "../errors.js";

/** How one capability code is read and written. */
export interface CapabilityDescriptor<T extends { readonly type: string }> {
  /** IANA capability code. */
  readonly code: number;
  /** The `type` tag of the decoded object. */
  readonly type: T["type"];
  /** Decodes the value in `b[start..end)`. Throws {@link BgpDecodeError}. */
  readonly decode: (b: Uint8Array, start: number, end: number) => T;
  /** Writes the value (without code and length). */
  readonly encode: (cap: T, w: ByteWriter) => void;
}

/** A malformed capability value: OPEN Message Error (RFC 4271 §6.2), session reset. */
export function capabilityError(name: string, detail: string): BgpDecodeError {
  return new BgpDecodeError(`malformed ${name} capability: ${detail}`, {
    code: ErrorCode.OpenMessage,
    subcode: OpenSubcode.Unspecific,
  });
}

/** Checks that a capability value has exactly `n` octets. */
export function expectLength(name: string, start: number, end: number, n: number): void {
  if (end - start !== n) throw capabilityError(name, `length ${end - start}, expected ${n}`);
}
