// UPDATE message (RFC 4271 §4.3) and its error handling (RFC 7606):
//
//   +-----------------------------------------------------+
//   |   Withdrawn Routes Length (2 octets)                |
//   +-----------------------------------------------------+
//   |   Withdrawn Routes (variable)                       |
//   +-----------------------------------------------------+
//   |   Total Path Attribute Length (2 octets)            |
//   +-----------------------------------------------------+
//   |   Path Attributes (variable)                        |
//   +-----------------------------------------------------+
//   |   Network Layer Reachability Information (variable) |
//   +-----------------------------------------------------+
//
// Errors that RFC 7606 lets the session survive (treat-as-withdraw,
// attribute discard) are collected and returned beside the message; errors
// that need a session reset are thrown as {@link BgpDecodeError}.

import { MalformedAttribute } from "../attributes/descriptor.js";
import { ATTRIBUTE_TABLE, encodeAttribute, type PathAttribute } from "../attributes/table.js";
import type { ByteWriter } from "../bytes.js";
import { u16 } from "../bytes.js";
import { Afi, AttrFlag, AttrType, ErrorCode, UpdateSubcode } from "../constants.js";
import { addPathReceive, addPathSend, type CodecContext } from "../context.js";
import { BgpDecodeError, BgpEncodeError, type ErrorAction, strongerAction } from "../errors.js";
import { decodeIpv4Nlri, type Ipv4Nlri, ipv4NlriCount, ipv4NlriPrefixes } from "../nlri-v4.js";
import { decodePrefixes, encodePrefixes, type Prefix } from "../prefix.js";

/** An UPDATE message. IPv4 unicast routes use `withdrawn`/`nlri`; other families travel in MP attributes. */
export interface UpdateMessage {
  readonly type: "update";
  /** IPv4 unicast prefixes withdrawn (Withdrawn Routes field). */
  readonly withdrawn: readonly Prefix[];
  /** Path attributes in wire order (including MP_REACH_NLRI / MP_UNREACH_NLRI). */
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast prefixes announced (NLRI field). */
  readonly nlri: readonly Prefix[];
}

/** An UPDATE decoded with the errors RFC 7606 lets the session survive. */
export interface UpdateDecodeResult {
  /** The message; malformed or discarded attributes are left out of `attributes`. */
  readonly message: UpdateMessage;
  /** Each non-fatal error, with its action (`treat-as-withdraw` or `attribute-discard`). */
  readonly errors: readonly BgpDecodeError[];
  /** The strongest action among `errors`, or undefined if there were none. */
  readonly action: ErrorAction | undefined;
}

function reset(
  msg: string,
  subcode: number = UpdateSubcode.MalformedAttributeList,
): BgpDecodeError {
  return updateError(msg, subcode, "session-reset");
}

// Attribute codes seen in the UPDATE being decoded: a slot holds the number
// of the decode call that saw it, so nothing needs clearing between calls.
const seenIn = new Uint32Array(256);
let generation = 0;

function updateError(
  message: string,
  subcode: number,
  action: ErrorAction,
  data?: Uint8Array,
  attributeType?: number,
) {
  return new BgpDecodeError(message, {
    code: ErrorCode.UpdateMessage,
    subcode,
    action,
    data,
    attributeType,
  });
}

/**
 * Decodes an UPDATE body (the bytes after the 19-octet header).
 * Throws {@link BgpDecodeError} when the session must be reset.
 */
export function decodeUpdate(
  b: Uint8Array,
  start: number,
  end: number,
  ctx: CodecContext,
): UpdateDecodeResult {
  if (end - start < 4) throw reset("UPDATE shorter than 4 octets");
  const wLen = u16(b, start);
  const wEnd = start + 2 + wLen;
  if (wEnd + 2 > end) throw reset("Withdrawn Routes Length overruns the message");
  const aLen = u16(b, wEnd);
  const aStart = wEnd + 2;
  const aEnd = aStart + aLen;
  if (aEnd > end) throw reset("Total Path Attribute Length overruns the message");

  // RFC 7606 §5.3: a syntax error in the NLRI fields resets the session.
  // Without ADD-PATH the IPv4 fields are decoded into numbers; their prefix
  // objects are made only if something reads `withdrawn` / `nlri`.
  const v4AddPath = addPathReceive(ctx, Afi.Ipv4, 1);
  let withdrawn: Prefix[] | undefined;
  let nlri: Prefix[] | undefined;
  let fast: Ipv4Fields | undefined;
  let nlriCount: number;
  if (v4AddPath) {
    withdrawn = [];
    decodePrefixes(
      b,
      start + 2,
      wEnd,
      Afi.Ipv4,
      true,
      withdrawn,
      UpdateSubcode.InvalidNetworkField,
    );
    nlri = [];
    decodePrefixes(b, aEnd, end, Afi.Ipv4, true, nlri, UpdateSubcode.InvalidNetworkField);
    nlriCount = nlri.length;
  } else {
    fast = {
      withdrawn: decodeIpv4Nlri(b, start + 2, wEnd, UpdateSubcode.InvalidNetworkField),
      nlri: decodeIpv4Nlri(b, aEnd, end, UpdateSubcode.InvalidNetworkField),
    };
    nlriCount = ipv4NlriCount(fast.nlri);
  }

  const errors: BgpDecodeError[] = [];
  const attributes: PathAttribute[] = [];
  generation = (generation + 1) >>> 0 || 1;
  const gen = generation;
  let i = aStart;
  while (i < aEnd) {
    // RFC 7606 §4: fewer octets left than an attribute header, or an attribute
    // overrunning the Total Path Attribute Length: treat-as-withdraw, and
    // the Total Path Attribute Length still locates the NLRI field.
    const flags = b[i]!;
    const hdr = flags & AttrFlag.ExtendedLength ? 4 : 3;
    if (i + hdr > aEnd) {
      errors.push(
        updateError(
          "truncated path attribute header",
          UpdateSubcode.MalformedAttributeList,
          "treat-as-withdraw",
          b.slice(i, aEnd),
        ),
      );
      break;
    }
    const code = b[i + 1]!;
    const len = hdr === 4 ? u16(b, i + 2) : b[i + 2]!;
    const vs = i + hdr;
    const ve = vs + len;
    if (ve > aEnd) {
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) {
        throw reset(
          `${code === AttrType.MpReachNlri ? "MP_REACH" : "MP_UNREACH"}_NLRI overruns the attributes`,
          UpdateSubcode.AttributeLengthError,
        );
      }
      errors.push(
        updateError(
          `path attribute ${code} overruns the attributes`,
          UpdateSubcode.AttributeLengthError,
          "treat-as-withdraw",
          b.slice(i, aEnd),
          code,
        ),
      );
      break;
    }
    const d = ATTRIBUTE_TABLE[code];
    if (seenIn[code] === gen) {
      // RFC 7606 §3(g): repeated MP_REACH/MP_UNREACH reset, other repeats are discarded.
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) {
        throw updateError(
          `repeated attribute ${code}`,
          UpdateSubcode.MalformedAttributeList,
          "session-reset",
          undefined,
          code,
        );
      }
      errors.push(
        updateError(
          `repeated attribute ${code}`,
          UpdateSubcode.MalformedAttributeList,
          "attribute-discard",
          undefined,
          code,
        ),
      );
      i = ve;
      continue;
    }
    seenIn[code] = gen;
    if (d === undefined) {
      if (!(flags & AttrFlag.Optional)) {
        // RFC 4271 §6.3: an unrecognized well-known attribute.
        throw updateError(
          `unrecognized well-known attribute ${code}`,
          UpdateSubcode.UnrecognizedWellKnownAttribute,
          "session-reset",
          b.slice(i, ve),
          code,
        );
      }
      const unknown: PathAttribute = {
        type: "unknown",
        code,
        flags: flags & ~AttrFlag.ExtendedLength,
        value: b.slice(vs, ve),
      };
      attributes.push(hdr === 4 && len <= 255 ? { ...unknown, extendedLength: true } : unknown);
      i = ve;
      continue;
    }
    // RFC 7606 §7.5, §7.9, §7.10: from an external peer these are discarded.
    if (
      ctx.peerType === "external" &&
      (code === AttrType.LocalPref ||
        code === AttrType.OriginatorId ||
        code === AttrType.ClusterList)
    ) {
      errors.push(
        updateError(
          `attribute ${code} from an external peer`,
          UpdateSubcode.MalformedAttributeList,
          "attribute-discard",
          b.slice(i, ve),
          code,
        ),
      );
      i = ve;
      continue;
    }
    // RFC 7606 §3(c): Optional/Transitive bits in conflict with the definition
    // make the attribute malformed; Partial is only valid on optional transitive.
    const ot = flags & (AttrFlag.Optional | AttrFlag.Transitive);
    const partialBad = flags & AttrFlag.Partial && d.flags !== 0xc0;
    try {
      if (ot !== d.flags || partialBad) {
        throw new MalformedAttribute(
          UpdateSubcode.AttributeFlagsError,
          `attribute ${code}: flags 0x${flags.toString(16)}`,
        );
      }
      let attr: PathAttribute = d.decode(b, vs, ve, ctx);
      // RFC 5065 §5.1 with RFC 7606 §7.2: confederation segments from outside
      // the confederation make the AS_PATH malformed.
      if (
        attr.type === "as-path" &&
        ctx.peerType === "external" &&
        attr.segments.some((s) => s.type > 2)
      ) {
        throw new MalformedAttribute(
          UpdateSubcode.MalformedAsPath,
          "AS_PATH: confederation segment from an external peer",
        );
      }
      if (flags & AttrFlag.Partial) attr = { ...attr, partial: true };
      if (hdr === 4 && len <= 255) attr = { ...attr, extendedLength: true };
      attributes.push(attr);
    } catch (e) {
      if (e instanceof MalformedAttribute) {
        const err = updateError(e.message, e.subcode, d.malformed, b.slice(i, ve), code);
        if (d.malformed === "session-reset") throw err;
        errors.push(err);
      } else if (e instanceof BgpDecodeError) {
        throw e;
      } else throw e;
    }
    i = ve;
  }

  // RFC 7606 §5.1: treat-as-withdraw needs every NLRI located. When parsing
  // stopped early and no MP attribute was found, MP NLRI may hide in the
  // unparsed rest; with no IPv4 NLRI either, only a reset is safe.
  if (
    i < aEnd &&
    seenIn[AttrType.MpReachNlri] !== gen &&
    seenIn[AttrType.MpUnreachNlri] !== gen &&
    nlriCount === 0
  ) {
    const last = errors[errors.length - 1]!;
    throw updateError(last.message, last.subcode, "session-reset", last.data, last.attributeType);
  }

  // RFC 7606 §3(d), RFC 4271 §5, RFC 4760 §3: ORIGIN and AS_PATH must come
  // with any reachable NLRI, NEXT_HOP with IPv4 NLRI in the NLRI field, and
  // LOCAL_PREF on iBGP (RFC 4271 §5.1.5).
  // An attribute found malformed above already produced its own error.
  const reach = nlriCount > 0 || seenIn[AttrType.MpReachNlri] === gen;
  if (reach) {
    const required: number[] =
      nlriCount > 0
        ? [AttrType.Origin, AttrType.AsPath, AttrType.NextHop]
        : [AttrType.Origin, AttrType.AsPath];
    if (ctx.peerType === "internal") required.push(AttrType.LocalPref);
    for (const code of required) {
      if (seenIn[code] !== gen) {
        errors.push(
          updateError(
            `missing well-known attribute ${code}`,
            UpdateSubcode.MissingWellKnownAttribute,
            "treat-as-withdraw",
            Uint8Array.of(code),
            code,
          ),
        );
      }
    }
  }
  let action: ErrorAction | undefined;
  for (const e of errors) action = action ? strongerAction(action, e.action) : e.action;
  if (!fast) {
    return {
      message: { type: "update", withdrawn: withdrawn!, attributes, nlri: nlri! },
      errors,
      action,
    };
  }
  const f = fast;
  const message: UpdateMessage = {
    type: "update",
    get withdrawn() {
      withdrawn ??= ipv4NlriPrefixes(f.withdrawn);
      return withdrawn;
    },
    attributes,
    get nlri() {
      nlri ??= ipv4NlriPrefixes(f.nlri);
      return nlri;
    },
  };
  FAST.set(message, f);
  return { message, errors, action };
}

/** The IPv4 Withdrawn Routes and NLRI fields of a decoded UPDATE, as numbers. */
export interface Ipv4Fields {
  readonly withdrawn: Ipv4Nlri;
  readonly nlri: Ipv4Nlri;
}

const FAST = new WeakMap<UpdateMessage, Ipv4Fields>();

/**
 * The IPv4 fields of an UPDATE as {@link decodeUpdate} decoded them into
 * numbers (sessions without ADD-PATH for IPv4 unicast), or undefined for
 * any other message (built by hand, copied, or decoded with ADD-PATH): then
 * `withdrawn` and `nlri` are the only source. Internal fast path.
 */
export function ipv4Fields(msg: UpdateMessage): Ipv4Fields | undefined {
  return FAST.get(msg);
}

/** Writes an UPDATE body. Throws {@link BgpEncodeError} if a field overflows. */
export function encodeUpdate(msg: UpdateMessage, w: ByteWriter, ctx: CodecContext): void {
  const v4AddPath = addPathSend(ctx, Afi.Ipv4, 1);
  const wAt = w.pos;
  w.u16(0);
  encodePrefixes(w, msg.withdrawn, v4AddPath);
  const wLen = w.pos - wAt - 2;
  const aAt = w.pos;
  w.u16(0);
  for (const a of msg.attributes) encodeAttribute(a, w, ctx);
  const aLen = w.pos - aAt - 2;
  if (wLen > 0xffff || aLen > 0xffff)
    throw new BgpEncodeError("UPDATE field longer than 65535 octets");
  w.patch16(wAt, wLen);
  w.patch16(aAt, aLen);
  encodePrefixes(w, msg.nlri, v4AddPath);
}

/**
 * Every prefix an UPDATE names (IPv4 NLRI and withdrawn, MP_REACH NLRI and
 * MP_UNREACH withdrawn): what a session withdraws when RFC 7606 says
 * treat-as-withdraw.
 */
export function updatePrefixes(msg: UpdateMessage): Prefix[] {
  const out: Prefix[] = [...msg.withdrawn, ...msg.nlri];
  for (const a of msg.attributes) {
    if (a.type === "mp-reach") out.push(...a.nlri);
    else if (a.type === "mp-unreach") out.push(...a.withdrawn);
  }
  return out;
}
