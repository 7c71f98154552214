// The codec context: what the two speakers negotiated in their OPENs and that
// changes how bytes are read and written (holo's DecodeCxt, GoBGP's
// MarshallingOption). One object serves both directions: decoders look at
// `addPath.receive`, encoders at `addPath.send`.

/** An address family: AFI and SAFI (RFC 4760 §3). */
export interface Family {
  /** Address Family Identifier ({@link Afi}). */
  readonly afi: number;
  /** Subsequent Address Family Identifier ({@link Safi}). */
  readonly safi: number;
}

/** Negotiated session properties that change the wire format. */
export interface CodecContext {
  /** Both sides announced 4-octet AS support (RFC 6793 §3): AS numbers are 4 octets. */
  readonly fourOctetAs: boolean;
  /** Both sides announced Extended Message (RFC 8654): messages up to 65,535 octets. */
  readonly extendedMessage: boolean;
  /**
   * ADD-PATH (RFC 7911 §3): families whose NLRI carry a 4-octet Path Identifier,
   * on receive (we said receive, the peer said send) and on send.
   */
  readonly addPath: {
    readonly receive: readonly Family[];
    readonly send: readonly Family[];
  };
  /**
   * Who the peer is, for the RFC 7606 rules that depend on it (undefined: skip them).
   * `"external"`: another AS, not a confederation member — LOCAL_PREF, ORIGINATOR_ID
   * and CLUSTER_LIST are discarded (§7.5, §7.9, §7.10) and confederation segments
   * make AS_PATH malformed (RFC 5065 §5.1, RFC 7606 §7.2). `"internal"`: iBGP — a
   * missing LOCAL_PREF is a missing well-known attribute (RFC 4271 §5.1.5, RFC 7606 §3(d)).
   * Leave undefined for confederation peers in another member AS.
   */
  readonly peerType?: "internal" | "external";
}

/** The context before capabilities are negotiated: 2-octet AS, no ADD-PATH, 4096-octet messages. */
export const DEFAULT_CONTEXT: CodecContext = {
  fourOctetAs: false,
  extendedMessage: false,
  addPath: { receive: [], send: [] },
};

/** Builds a context from the fields given, defaulting the rest to {@link DEFAULT_CONTEXT}. */
export function codecContext(init: Partial<CodecContext> = {}): CodecContext {
  return {
    fourOctetAs: init.fourOctetAs ?? DEFAULT_CONTEXT.fourOctetAs,
    extendedMessage: init.extendedMessage ?? DEFAULT_CONTEXT.extendedMessage,
    addPath: init.addPath ?? DEFAULT_CONTEXT.addPath,
    ...(init.peerType ? { peerType: init.peerType } : {}),
  };
}

function has(list: readonly Family[], afi: number, safi: number): boolean {
  for (const f of list) if (f.afi === afi && f.safi === safi) return true;
  return false;
}

/** Whether NLRI of `afi`/`safi` received in this session carry Path Identifiers. */
export function addPathReceive(ctx: CodecContext, afi: number, safi: number): boolean {
  return ctx.addPath.receive.length > 0 && has(ctx.addPath.receive, afi, safi);
}

/** Whether NLRI of `afi`/`safi` sent in this session carry Path Identifiers. */
export function addPathSend(ctx: CodecContext, afi: number, safi: number): boolean {
  return ctx.addPath.send.length > 0 && has(ctx.addPath.send, afi, safi);
}
