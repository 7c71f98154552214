// From an Adj-RIB-Out batch to logical UPDATE messages: one per attribute
// set and address family, withdrawals first (RFC 4271 §4.3: one set of path
// attributes per UPDATE; RFC 4760 §3-4 for non-IPv4 families). Each logical
// UPDATE may exceed the maximum message size; `encodeUpdates` in
// ../wire/messages/pack.ts splits it into as few messages as fit, so N
// prefixes sharing a set cost about N / 800 messages instead of N.
// `packV4` does the same for IPv4-unicast routes held as numbers in the
// Adj-RIB-Out, writing their NLRI straight into the messages (no object
// per route); the speaker's out-queue sends with both.
import { encodeAttribute, type PathAttribute } from "../wire/attributes/table.js";
import { ByteWriter } from "../wire/bytes.js";
import {
  Afi,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
} from "../wire/constants.js";
import { addPathSend, type CodecContext } from "../wire/context.js";
import type { UpdateMessage } from "../wire/messages/update.js";
import type { Prefix } from "../wire/prefix.js";
import type { OutboundBatch, PackedBatch } from "./adj-rib-out.js";
import { type AttrSet, wireAttributes } from "./attrs.js";

/** The logical UPDATEs for a batch (withdrawals first, then one per attribute set and family). */
export function batchToUpdates(batch: OutboundBatch, safi = 1): UpdateMessage[] {
  const out: UpdateMessage[] = [];
  const w4: Prefix[] = [];
  const w6: Prefix[] = [];
  for (const p of batch.withdraw) (p.afi === Afi.Ipv6 ? w6 : w4).push(p);
  if (w4.length > 0 || w6.length > 0) {
    const attributes: PathAttribute[] =
      w6.length > 0 ? [{ type: "mp-unreach", afi: Afi.Ipv6, safi, withdrawn: w6 }] : [];
    out.push({ type: "update", withdrawn: w4, attributes, nlri: [] });
  }
  for (const g of batch.announce) {
    const v4: Prefix[] = [];
    const v6: Prefix[] = [];
    for (const p of g.prefixes) (p.afi === Afi.Ipv6 ? v6 : v4).push(p);
    for (const [afi, list] of [
      [Afi.Ipv4, v4],
      [Afi.Ipv6, v6],
    ] as const) {
      if (list.length === 0) continue;
      const w = wireAttributes(g.attrs, afi, list, safi);
      out.push({ type: "update", withdrawn: [], attributes: w.attributes, nlri: w.nlri });
    }
  }
  return out;
}

/** IPv4 announcement attributes, encoded once per attribute set and codec context. */
const attrBytes = new WeakMap<AttrSet, { ctx: CodecContext; bytes: Uint8Array | null }>();

/**
 * The encoded path attributes of an IPv4-unicast announcement with `set`
 * (NEXT_HOP included, as `wireAttributes` orders them), or null when `set`
 * needs MP_REACH_NLRI (an IPv6 next hop, RFC 8950) and the generic path.
 */
function v4AttributeBytes(set: AttrSet, ctx: CodecContext): Uint8Array | null {
  const hit = attrBytes.get(set);
  if (hit && hit.ctx === ctx) return hit.bytes;
  const w = wireAttributes(set, Afi.Ipv4, [], 1);
  let bytes: Uint8Array | null = null;
  if (!w.attributes.some((a) => a.type === "mp-reach")) {
    const out = new ByteWriter(256);
    for (const a of w.attributes) encodeAttribute(a, out, ctx);
    bytes = out.buf.slice(0, out.pos);
  }
  attrBytes.set(set, { ctx, bytes });
  return bytes;
}

/** Octets of an IPv4 prefix of `length` in NLRI encoding (RFC 4271 §4.3). */
const nlriSize = (length: number) => 1 + ((length + 7) >> 3);

/**
 * The length of an IPv4 route number (address × 64 + length). `& 63` keeps
 * the low 6 bits of the number taken modulo 2^32, a multiple of 64: exact
 * for any such number (< 2^38), and a machine AND where `% 64` on a
 * non-Smi is a floating-point remainder.
 */
const lengthOf = (v: number) => v & 63;

/** Writes one IPv4 prefix (address × 64 + length) in NLRI encoding at `at`; returns the next offset. */
function putV4(buf: Uint8Array, at: number, v: number): number {
  const length = lengthOf(v);
  const addr = (v - length) / 64;
  buf[at++] = length;
  const n = (length + 7) >> 3;
  // addr < 2^32: `>>>` reads it as an unsigned 32-bit integer
  if (n > 0) buf[at++] = addr >>> 24;
  if (n > 1) buf[at++] = (addr >>> 16) & 255;
  if (n > 2) buf[at++] = (addr >>> 8) & 255;
  if (n > 3) buf[at++] = addr & 255;
  return at;
}

/** Writes a BGP header (RFC 4271 §4.1) for an UPDATE of `length` octets at `at`. */
function putHeader(buf: Uint8Array, at: number, length: number): void {
  buf.fill(0xff, at, at + 16);
  buf[at + 16] = length >> 8;
  buf[at + 17] = length & 255;
  buf[at + 18] = 2; // UPDATE
}

/**
 * Encodes IPv4-unicast routes straight from numbers (address × 64 +
 * length, no prefix objects) into UPDATE messages of at most the size `ctx`
 * allows, concatenated: first `withdraw4` in Withdrawn Routes, then each
 * group's prefixes as NLRI after its attributes (RFC 4271 §4.3), as many
 * per message as fit. The same octets as {@link batchToUpdates} +
 * `encodeUpdates` for these routes. Returns null when the context or a set
 * needs the generic path (ADD-PATH send for IPv4, an IPv6 next hop).
 */
export function packV4(
  announce4: PackedBatch["announce4"],
  withdraw4: readonly number[],
  ctx: CodecContext,
): { bytes: Uint8Array; messages: number } | null {
  if (addPathSend(ctx, Afi.Ipv4, 1)) return null;
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  const base = HEADER_LENGTH + 4; // + Withdrawn Routes Length + Total Path Attribute Length
  const attrs: Uint8Array[] = [];
  let size = 0;
  let wsize = 0;
  for (const v of withdraw4) wsize += nlriSize(lengthOf(v));
  if (withdraw4.length) size += wsize + base * (Math.ceil(wsize / (max - base - 4)) + 1);
  for (const g of announce4) {
    const a = v4AttributeBytes(g.attrs, ctx);
    if (a === null || a.length + base + 5 > max) return null;
    attrs.push(a);
    let n = 0;
    for (const v of g.v4) n += nlriSize(lengthOf(v));
    size += n + (base + a.length) * (Math.ceil(n / (max - base - a.length - 4)) + 1);
  }
  const buf = new Uint8Array(size);
  let at = 0;
  let messages = 0;
  // Withdrawals: Withdrawn Routes field, no attributes, no NLRI.
  for (let i = 0; i < withdraw4.length; ) {
    const start = at;
    at += HEADER_LENGTH + 2;
    while (i < withdraw4.length && at - start + nlriSize(lengthOf(withdraw4[i]!)) + 2 <= max)
      at = putV4(buf, at, withdraw4[i++]!);
    const wlen = at - start - HEADER_LENGTH - 2;
    buf[start + HEADER_LENGTH] = wlen >> 8;
    buf[start + HEADER_LENGTH + 1] = wlen & 255;
    buf[at++] = 0;
    buf[at++] = 0;
    putHeader(buf, start, at - start);
    messages++;
  }
  for (const [k, g] of announce4.entries()) {
    const a = attrs[k]!;
    for (let i = 0; i < g.v4.length; ) {
      const start = at;
      buf[start + HEADER_LENGTH] = 0;
      buf[start + HEADER_LENGTH + 1] = 0;
      buf[start + HEADER_LENGTH + 2] = a.length >> 8;
      buf[start + HEADER_LENGTH + 3] = a.length & 255;
      buf.set(a, start + base);
      at = start + base + a.length;
      while (i < g.v4.length && at - start + nlriSize(lengthOf(g.v4[i]!)) <= max)
        at = putV4(buf, at, g.v4[i++]!);
      putHeader(buf, start, at - start);
      messages++;
    }
  }
  return { bytes: at === buf.length ? buf : buf.subarray(0, at), messages };
}
