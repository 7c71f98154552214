// A path (RFC 4271 §3.1 "route": a prefix with its attributes) as the RIB
// stores it, and the source it came from. Kept deliberately small: a
// full-table RIB holds a million of them. The prefix is the key of the
// destination the path hangs off; the attributes are an interned `AttrSet`.
import type { AttrSet } from "./attrs.js";

/** Whether a source is a BGP neighbour of the same AS, another AS, or local origination. */
export type SourceKind = "ibgp" | "ebgp" | "local";

/**
 * Where a path came from: a peer (see `Rib.addPeer`) or the local origin.
 * The RIB owns these objects; treat them as read-only.
 */
export interface PathSource {
  /** Unique id (the peer's id, or `"local"`). */
  readonly id: string;
  /** Small index, unique within a RIB (0 is the local source). */
  readonly index: number;
  /** iBGP, eBGP or locally originated. */
  readonly kind: SourceKind;
  /** The peer's AS (the local AS for `local`). */
  readonly asn: number;
  /** The peer's address text (`0.0.0.0` for `local`). */
  readonly address: string;
  /** The peer's address as bytes (for the final tie-breaker, RFC 4271 §9.1.2.2 g). */
  readonly addressBytes: Uint8Array;
  /** The peer's BGP Identifier as a 32-bit number (RFC 4271 §9.1.2.2 f). */
  readonly routerId: number;
  /** The peer is a route-reflector client of ours (RFC 4456 §6). */
  readonly rrClient: boolean;
  /** IGP cost to this peer's next hops, when the caller supplies one (RFC 4271 §9.1.2.2 e). */
  readonly igpCost: number;
}

/** One path to a destination. */
export interface Path {
  /** The source that announced it. */
  readonly source: PathSource;
  /** The interned attributes (after import policy). */
  readonly attrs: AttrSet;
  /** ADD-PATH Path Identifier as received (RFC 7911 §3); 0 without ADD-PATH. */
  readonly pathId: number;
  /** Marked stale by graceful restart (RFC 4724 §4.2), until refreshed or swept. */
  readonly stale: boolean;
}

/** The mutable form the RIB keeps internally. */
export interface MutablePath extends Path {
  attrs: AttrSet;
  stale: boolean;
}
