// Any capability code this codec does not interpret: kept as raw bytes so it
// round-trips and can be logged (RFC 5492 §3: an unknown capability is ignored).

/** A capability kept as raw bytes. */
export interface UnknownCapability {
  readonly type: "unknown";
  /** The capability code. */
  readonly code: number;
  /** The raw value. */
  readonly value: Uint8Array;
}
