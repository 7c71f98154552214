// Splitting a logical UPDATE into messages that fit the negotiated maximum
// length (4,096 octets, or 65,535 with Extended Message, RFC 8654) — what a
// speaker needs to originate 100,000 prefixes. Withdrawals travel first
// (Withdrawn Routes, then each MP_UNREACH_NLRI), then the reachable routes
// (NLRI field, then each MP_REACH_NLRI), the path attributes repeated in
// every message that carries reachable routes (RFC 4271 §4.3: one set of
// attributes per UPDATE). A message that already fits is encoded as given.
import type { MpReachAttribute } from "../attributes/mp-reach.js";
import type { MpUnreachAttribute } from "../attributes/mp-unreach.js";
import { encodeAttribute, type PathAttribute } from "../attributes/table.js";
import { ByteWriter } from "../bytes.js";
import {
  Afi,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
} from "../constants.js";
import { addPathSend, type CodecContext, DEFAULT_CONTEXT } from "../context.js";
import { BgpEncodeError } from "../errors.js";
import { encodeMessage } from "../message.js";
import type { Prefix } from "../prefix.js";
import type { UpdateMessage } from "./update.js";

// Header + Withdrawn Routes Length + Total Path Attribute Length.
const UPDATE_BASE = HEADER_LENGTH + 4;
// An MP attribute measured empty has a 1-octet length; full, it may need 2.
const EXTENDED_LENGTH_GROWTH = 1;

function prefixSize(p: Prefix, addPath: boolean): number {
  return (addPath ? 5 : 1) + ((p.length + 7) >> 3);
}

/** Cuts `prefixes` into runs whose encoded size stays within `room` octets. */
function chunks(prefixes: readonly Prefix[], addPath: boolean, room: number): Prefix[][] {
  const out: Prefix[][] = [];
  let cur: Prefix[] = [];
  let size = 0;
  for (const p of prefixes) {
    const s = prefixSize(p, addPath);
    if (s > room) throw new BgpEncodeError("path attributes leave no room for a prefix");
    if (size + s > room) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += s;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function attributesSize(attrs: readonly PathAttribute[], ctx: CodecContext): number {
  const w = new ByteWriter(256);
  for (const a of attrs) encodeAttribute(a, w, ctx);
  return w.pos;
}

function totalSize(u: UpdateMessage, ctx: CodecContext): number {
  const v4 = addPathSend(ctx, Afi.Ipv4, 1);
  let n = UPDATE_BASE;
  for (const p of u.withdrawn) n += prefixSize(p, v4);
  for (const p of u.nlri) n += prefixSize(p, v4);
  for (const a of u.attributes) {
    if (a.type === "mp-reach") {
      n += attributesSize([{ ...a, nlri: [] }], ctx) + EXTENDED_LENGTH_GROWTH;
      for (const p of a.nlri) n += prefixSize(p, addPathSend(ctx, a.afi, a.safi));
    } else if (a.type === "mp-unreach") {
      n += attributesSize([{ ...a, withdrawn: [] }], ctx) + EXTENDED_LENGTH_GROWTH;
      for (const p of a.withdrawn) n += prefixSize(p, addPathSend(ctx, a.afi, a.safi));
    } else n += attributesSize([a], ctx);
  }
  return n;
}

/**
 * Encodes an UPDATE of any size as one or more messages, each within the
 * maximum length `ctx` allows. Throws {@link BgpEncodeError} if the path
 * attributes alone do not fit in a message.
 */
export function encodeUpdates(
  update: UpdateMessage,
  ctx: CodecContext = DEFAULT_CONTEXT,
): Uint8Array[] {
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (totalSize(update, ctx) <= max) return [encodeMessage(update, ctx)];

  const out: Uint8Array[] = [];
  const v4 = addPathSend(ctx, Afi.Ipv4, 1);
  const reach: MpReachAttribute[] = [];
  const unreach: MpUnreachAttribute[] = [];
  const common: PathAttribute[] = [];
  for (const a of update.attributes) {
    if (a.type === "mp-reach") reach.push(a);
    else if (a.type === "mp-unreach") unreach.push(a);
    else common.push(a);
  }
  const msg = (withdrawn: Prefix[], attributes: PathAttribute[], nlri: Prefix[]) =>
    out.push(encodeMessage({ type: "update", withdrawn, attributes, nlri }, ctx));

  for (const c of chunks(update.withdrawn, v4, max - UPDATE_BASE)) msg(c, [], []);
  for (const u of unreach) {
    const ap = addPathSend(ctx, u.afi, u.safi);
    if (u.unparsed || u.withdrawn.length === 0) {
      msg([], [u], []);
      continue;
    }
    const room =
      max - UPDATE_BASE - attributesSize([{ ...u, withdrawn: [] }], ctx) - EXTENDED_LENGTH_GROWTH;
    for (const c of chunks(u.withdrawn, ap, room)) msg([], [{ ...u, withdrawn: c }], []);
  }
  const commonSize = attributesSize(common, ctx);
  if (update.nlri.length > 0) {
    for (const c of chunks(update.nlri, v4, max - UPDATE_BASE - commonSize)) msg([], common, c);
  }
  // Routes in MP_REACH need no NEXT_HOP attribute (RFC 4760 §3).
  const mpCommon = common.filter((a) => a.type !== "next-hop");
  const mpCommonSize = attributesSize(mpCommon, ctx);
  for (const r of reach) {
    const ap = addPathSend(ctx, r.afi, r.safi);
    if (r.unparsed) {
      msg([], [r, ...mpCommon], []);
      continue;
    }
    const room =
      max -
      UPDATE_BASE -
      mpCommonSize -
      attributesSize([{ ...r, nlri: [] }], ctx) -
      EXTENDED_LENGTH_GROWTH;
    for (const c of chunks(r.nlri, ap, room)) msg([], [{ ...r, nlri: c }, ...mpCommon], []);
  }
  return out;
}
