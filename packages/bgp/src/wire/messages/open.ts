// OPEN message (RFC 4271 §4.2), with Capabilities optional parameters
// (RFC 5492 §4) and the extended optional parameters length (RFC 9072 §2):
//
//   +-+-+-+-+-+-+-+-+
//   |    Version    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     My Autonomous System      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Hold Time           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         BGP Identifier                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Opt Parm Len  |  Optional Parameters (Type 1, Length 1, Value) ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 9072: Opt Parm Len 255 and a first parameter type of 255 announce a
// 2-octet length, and every parameter then has a 2-octet length.
import { formatIpv4, parseIpv4 } from "../address.js";
import { type ByteWriter, u16, u32 } from "../bytes.js";
import { type Capability, decodeCapabilities, encodeCapability } from "../capabilities/table.js";
import { AS_TRANS, ErrorCode, OpenSubcode, OptionalParameterType } from "../constants.js";
import { BgpDecodeError, BgpEncodeError } from "../errors.js";

/**
 * How the capabilities were spread over Optional Parameters, kept only when
 * it differs from the default (all capabilities in one parameter, 1-octet
 * lengths) so that re-encoding gives the same bytes. BIRD uses one parameter;
 * FRR and GoBGP one per capability.
 */
export interface OpenLayout {
  /** Number of capabilities in each Capabilities parameter, in order. */
  readonly groups: readonly number[];
  /** RFC 9072 extended optional parameters were used. */
  readonly extended?: boolean;
}

/** An OPEN message. */
export interface OpenMessage {
  readonly type: "open";
  /** BGP version; always 4. */
  readonly version: number;
  /** My Autonomous System: the 2-octet AS, or AS_TRANS (23456) for a larger one. */
  readonly myAs: number;
  /** Proposed Hold Time in seconds (0 or at least 3). */
  readonly holdTime: number;
  /** BGP Identifier as IPv4 text. */
  readonly bgpId: string;
  /** All capabilities, in wire order. */
  readonly capabilities: readonly Capability[];
  /** Parameter layout, when not the default. */
  readonly layout?: OpenLayout;
}

function openError(msg: string, subcode: number, data?: Uint8Array): BgpDecodeError {
  return new BgpDecodeError(msg, { code: ErrorCode.OpenMessage, subcode, data });
}

/** Decodes an OPEN body. Throws {@link BgpDecodeError} (OPEN Message Error, RFC 4271 §6.2). */
export function decodeOpen(b: Uint8Array, start: number, end: number): OpenMessage {
  if (end - start < 10) throw openError("OPEN too short", OpenSubcode.Unspecific);
  const version = b[start]!;
  // RFC 4271 §6.2: the data is the largest locally supported version, 2 octets.
  if (version !== 4)
    throw openError(
      `BGP version ${version}`,
      OpenSubcode.UnsupportedVersionNumber,
      Uint8Array.of(0, 4),
    );
  const myAs = u16(b, start + 1);
  const holdTime = u16(b, start + 3);
  if (holdTime === 1 || holdTime === 2)
    throw openError(`hold time ${holdTime}`, OpenSubcode.UnacceptableHoldTime);
  const id = u32(b, start + 5);
  // RFC 6286 §2.2: any non-zero 4-octet value.
  if (id === 0) throw openError("BGP Identifier 0", OpenSubcode.BadBgpIdentifier);
  let optLen = b[start + 9]!;
  let i = start + 10;
  let extended = false;
  if (optLen === 255 && b[i] === OptionalParameterType.ExtendedLength) {
    if (i + 3 > end)
      throw openError("extended optional parameters truncated", OpenSubcode.Unspecific);
    extended = true;
    optLen = u16(b, i + 1);
    i += 3;
  }
  if (i + optLen !== end)
    throw openError("Optional Parameters Length mismatch", OpenSubcode.Unspecific);
  const capabilities: Capability[] = [];
  const groups: number[] = [];
  const hdr = extended ? 3 : 2;
  while (i < end) {
    if (i + hdr > end) throw openError("optional parameter truncated", OpenSubcode.Unspecific);
    const type = b[i]!;
    const len = extended ? u16(b, i + 1) : b[i + 1]!;
    const vs = i + hdr;
    if (vs + len > end) throw openError("optional parameter overruns", OpenSubcode.Unspecific);
    if (type !== OptionalParameterType.Capabilities) {
      throw openError(`optional parameter type ${type}`, OpenSubcode.UnsupportedOptionalParameter);
    }
    const caps = decodeCapabilities(b, vs, vs + len);
    groups.push(caps.length);
    capabilities.push(...caps);
    i = vs + len;
  }
  const msg: OpenMessage = {
    type: "open",
    version,
    myAs,
    holdTime,
    bgpId: formatIpv4(b, start + 5),
    capabilities,
  };
  // Default layout: no parameter when there are no capabilities, else one
  // non-empty Capabilities parameter with 1-octet lengths.
  const isDefault = !extended && (groups.length === 0 || (groups.length === 1 && groups[0]! > 0));
  return isDefault ? msg : { ...msg, layout: extended ? { groups, extended } : { groups } };
}

/** Writes an OPEN body. Throws {@link BgpEncodeError} on values that do not fit. */
export function encodeOpen(msg: OpenMessage, w: ByteWriter): void {
  if (msg.myAs > 0xffff || msg.holdTime > 0xffff)
    throw new BgpEncodeError("OPEN field out of range");
  w.u8(msg.version);
  w.u16(msg.myAs);
  w.u16(msg.holdTime);
  w.bytes(parseIpv4(msg.bgpId));
  const groups =
    msg.layout?.groups ?? (msg.capabilities.length > 0 ? [msg.capabilities.length] : []);
  const extended = msg.layout?.extended === true;
  const lenAt = w.pos;
  w.u8(0);
  if (extended) {
    w.u8(OptionalParameterType.ExtendedLength);
    w.u16(0);
  }
  const paramsAt = w.pos;
  let c = 0;
  for (const n of groups) {
    w.u8(OptionalParameterType.Capabilities);
    const at = w.pos;
    if (extended) w.u16(0);
    else w.u8(0);
    for (let k = 0; k < n; k++) {
      const cap = msg.capabilities[c++];
      if (!cap) throw new BgpEncodeError("OPEN layout names more capabilities than given");
      encodeCapability(cap, w);
    }
    const len = w.pos - at - (extended ? 2 : 1);
    if (extended) w.patch16(at, len);
    else if (len > 255)
      throw new BgpEncodeError(
        "Capabilities parameter longer than 255 octets; use layout.extended",
      );
    else w.patch8(at, len);
  }
  if (c !== msg.capabilities.length)
    throw new BgpEncodeError("OPEN layout names fewer capabilities than given");
  const total = w.pos - paramsAt;
  if (extended) {
    w.patch8(lenAt, 255);
    w.patch16(lenAt + 2, total);
  } else if (total > 255) {
    throw new BgpEncodeError("Optional Parameters longer than 255 octets; use layout.extended");
  } else w.patch8(lenAt, total);
}

/** Fields for {@link openMessage}. */
export interface OpenInit {
  /** The local AS (any size; AS_TRANS goes in My AS when above 65535). */
  readonly asn: number;
  /** Hold Time in seconds. */
  readonly holdTime: number;
  /** BGP Identifier as IPv4 text. */
  readonly bgpId: string;
  /** Capabilities; a 4-octet AS capability is added if missing (RFC 6793 §3). */
  readonly capabilities?: readonly Capability[];
}

/** Builds an OPEN: version 4, My AS or AS_TRANS, and the 4-octet AS capability. */
export function openMessage(init: OpenInit): OpenMessage {
  const caps = [...(init.capabilities ?? [])];
  if (!caps.some((c) => c.type === "four-octet-as"))
    caps.push({ type: "four-octet-as", asn: init.asn });
  return {
    type: "open",
    version: 4,
    myAs: init.asn > 0xffff ? AS_TRANS : init.asn,
    holdTime: init.holdTime,
    bgpId: init.bgpId,
    capabilities: caps,
  };
}

/** The peer's AS: from its 4-octet AS capability if present, else My AS (RFC 6793 §4.1). */
export function openAs(msg: OpenMessage): number {
  for (const c of msg.capabilities) if (c.type === "four-octet-as") return c.asn;
  return msg.myAs;
}
