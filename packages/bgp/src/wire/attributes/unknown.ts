// An optional path attribute this codec does not interpret (RFC 4271 §5):
// kept with its flags and raw value. When it is passed on, a transitive one
// gets the Partial bit set and a non-transitive one is dropped
// (see `forwardAttributes` in table.ts).
import type { AttributeBase } from "./descriptor.js";

/** An unrecognized optional path attribute, kept raw. */
export interface UnknownAttribute extends AttributeBase {
  readonly type: "unknown";
  /** The type code. */
  readonly code: number;
  /** The flags octet as received (Extended Length bit ignored on encode). */
  readonly flags: number;
  /** The raw value. */
  readonly value: Uint8Array;
}
