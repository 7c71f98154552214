// From an Adj-RIB-Out batch to logical UPDATE messages: one per attribute
// set and address family, withdrawals first (RFC 4271 §4.3: one set of path
// attributes per UPDATE; RFC 4760 §3-4 for non-IPv4 families). Each logical
// UPDATE may exceed the maximum message size; `encodeUpdates` in
// ../wire/messages/pack.ts splits it into as few messages as fit, so N
// prefixes sharing a set cost about N / 800 messages instead of N.
import type { PathAttribute } from "../wire/attributes/table.js";
import { Afi } from "../wire/constants.js";
import type { UpdateMessage } from "../wire/messages/update.js";
import type { Prefix } from "../wire/prefix.js";
import type { OutboundBatch } from "./adj-rib-out.js";
import { wireAttributes } from "./attrs.js";

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
