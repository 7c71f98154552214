// Typed errors of the codec. A `BgpDecodeError` is a protocol violation by the
// remote speaker and carries what the session needs to answer it: the
// NOTIFICATION code/subcode/data (RFC 4271 §6) and the RFC 7606 §2 action.
// A `BgpEncodeError` is local API misuse (an object that cannot be encoded).

/**
 * The error-handling approach of RFC 7606 §2, from most to least severe:
 * - `session-reset`: send a NOTIFICATION and close the session (RFC 4271 §6).
 * - `treat-as-withdraw`: handle every NLRI of the UPDATE as withdrawn.
 * - `attribute-discard`: drop the attribute, keep the route.
 */
export type ErrorAction = "session-reset" | "treat-as-withdraw" | "attribute-discard";

/** Fields of a {@link BgpDecodeError}. */
export interface BgpDecodeErrorInit {
  /** NOTIFICATION error code ({@link ErrorCode}). */
  readonly code: number;
  /** NOTIFICATION error subcode. */
  readonly subcode: number;
  /** NOTIFICATION data field (defaults to empty). */
  readonly data?: Uint8Array;
  /** RFC 7606 action (defaults to `session-reset`). */
  readonly action?: ErrorAction;
  /** The path attribute type code the error is about, if any. */
  readonly attributeType?: number;
}

/** A malformed message received from a peer (a remote protocol violation). */
export class BgpDecodeError extends Error {
  /** NOTIFICATION error code. */
  readonly code: number;
  /** NOTIFICATION error subcode. */
  readonly subcode: number;
  /** NOTIFICATION data field. */
  readonly data: Uint8Array;
  /** What RFC 7606 says to do about it. */
  readonly action: ErrorAction;
  /** The path attribute type code the error is about, if any. */
  readonly attributeType: number | undefined;

  /** Creates the error; `message` is for humans and logs only. */
  constructor(message: string, init: BgpDecodeErrorInit) {
    super(message);
    this.name = "BgpDecodeError";
    this.code = init.code;
    this.subcode = init.subcode;
    this.data = init.data ?? new Uint8Array(0);
    this.action = init.action ?? "session-reset";
    this.attributeType = init.attributeType;
  }
}

/** An object handed to an encoder that cannot be put on the wire (local misuse). */
export class BgpEncodeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "BgpEncodeError";
  }
}

const severity: Record<ErrorAction, number> = {
  "attribute-discard": 1,
  "treat-as-withdraw": 2,
  "session-reset": 3,
};

/** The more severe of two RFC 7606 actions (RFC 7606 §3: the strongest wins). */
export function strongerAction(a: ErrorAction, b: ErrorAction): ErrorAction {
  return severity[a] >= severity[b] ? a : b;
}
