// The shape every path attribute file exports (BIRD's `bgp_attr_table[]`
// entries, bgpkit-parser's one-file-per-attribute), and the internal error an
// attribute value decoder throws. The UPDATE decoder turns that error into a
// {@link BgpDecodeError} with the attribute's RFC 7606 action and the
// NOTIFICATION data RFC 4271 §6.3 asks for (the whole attribute).
//
// Path attribute header (RFC 4271 §4.3):
//
//   0                   1
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |O|T|P|E|  0    |  Type Code    |   then Length: 1 octet, or 2 if E
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import type { ByteWriter } from "../bytes.js";
import { ErrorCode } from "../constants.js";
import type { CodecContext } from "../context.js";
import { BgpDecodeError, type ErrorAction } from "../errors.js";

/** Fields every decoded path attribute may carry besides its value. */
export interface AttributeBase {
  /** The Partial flag was set (RFC 4271 §4.3): some speaker on the path did not recognize it. */
  readonly partial?: boolean;
  /** The Extended Length flag was set although the value fits in 255 octets (kept for exact re-encoding). */
  readonly extendedLength?: boolean;
}

/** How one path attribute type is read and written. */
export interface AttributeDescriptor<T extends { readonly type: string }> {
  /** IANA type code. */
  readonly code: number;
  /** The `type` tag of the decoded object. */
  readonly type: T["type"];
  /** The Optional and Transitive flag bits the attribute must carry (RFC 7606 §3(c)). */
  readonly flags: number;
  /** What RFC 7606 says to do when the attribute is malformed. */
  readonly malformed: ErrorAction;
  /** Decodes the value in `b[start..end)`; throws {@link MalformedAttribute}. */
  readonly decode: (b: Uint8Array, start: number, end: number, ctx: CodecContext) => T;
  /** Writes the value (without flags, type and length). */
  readonly encode: (attr: T, w: ByteWriter, ctx: CodecContext) => void;
}

/**
 * Thrown by attribute value decoders: an UPDATE Message Error with the given
 * subcode. The UPDATE decoder rethrows or records it with the attribute's own
 * RFC 7606 action and the whole attribute as data; on its own it says
 * `treat-as-withdraw`, the action of most attributes.
 */
export class MalformedAttribute extends BgpDecodeError {
  /** Creates the error. */
  constructor(subcode: number, message: string) {
    super(message, { code: ErrorCode.UpdateMessage, subcode, action: "treat-as-withdraw" });
    this.name = "MalformedAttribute";
  }
}

/** Throws unless the value is exactly `n` octets long (Attribute Length Error, subcode 5). */
export function expectLength(name: string, start: number, end: number, n: number): void {
  if (end - start !== n)
    throw new MalformedAttribute(5, `${name}: length ${end - start}, expected ${n}`);
}

/** Throws unless the value is a non-zero multiple of `n` octets (Attribute Length Error). */
export function expectMultiple(name: string, start: number, end: number, n: number): void {
  const len = end - start;
  if (len === 0 || len % n !== 0) {
    throw new MalformedAttribute(5, `${name}: length ${len} is not a non-zero multiple of ${n}`);
  }
}
