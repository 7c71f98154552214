// One decoded UPDATE into the RIB: the adapter a session calls for every
// UPDATE it receives. Withdrawals first (Withdrawn Routes, MP_UNREACH_NLRI),
// then the reachable routes — the NLRI field with NEXT_HOP (RFC 4271 §4.3)
// and MP_REACH_NLRI with its own next hop (RFC 4760 §3), each its own
// announce() because their next hops differ. An UPDATE the decoder marked
// `treat-as-withdraw` (RFC 7606 §2) withdraws every prefix it carries.
import type { PathAttribute } from "../wire/attributes/table.js";
import type { ErrorAction } from "../wire/errors.js";
import { ipv4Fields, type UpdateMessage } from "../wire/messages/update.js";
import type { Prefix } from "../wire/prefix.js";
import type { AnnounceResult, Rib, RibDelta } from "./rib.js";

/** What an UPDATE did. */
export interface UpdateResult {
  /** Loc-RIB deltas, in order. */
  readonly deltas: RibDelta[];
  /** The announce() results (NLRI field, then each MP_REACH_NLRI): infeasibility, policy rejections, max-prefix. */
  readonly announced: AnnounceResult[];
  /** Every prefix was withdrawn because the decoder said treat-as-withdraw. */
  readonly treatedAsWithdraw: boolean;
  /** The strongest max-prefix state reported, if any (`exceeded`: send Cease/1, RFC 4486, and flush the peer). */
  readonly maxPrefix: "warn" | "exceeded" | undefined;
}

/** Applies a decoded UPDATE from `peerId` to the RIB. */
export function applyUpdate(
  rib: Rib,
  peerId: string,
  msg: UpdateMessage,
  action?: ErrorAction,
): UpdateResult {
  const deltas: RibDelta[] = [];
  const announced: AnnounceResult[] = [];
  const common: PathAttribute[] = [];
  const reach: Extract<PathAttribute, { type: "mp-reach" }>[] = [];
  const unreach: Prefix[] = [];
  for (const a of msg.attributes) {
    if (a.type === "mp-unreach") unreach.push(...a.withdrawn);
    else if (a.type === "mp-reach") reach.push(a);
    else common.push(a);
  }
  // The IPv4 fields as numbers (no ADD-PATH): straight into the RIB, no
  // prefix objects. Only when the RIB gets the same calls the objects would
  // make (one withdraw, then the NLRI field's announce); otherwise the
  // objects below.
  const v4 = ipv4Fields(msg);
  if (v4 && action !== "treat-as-withdraw" && unreach.length === 0) {
    if (v4.withdrawn.length > 0) deltas.push(...rib.withdrawV4(peerId, v4.withdrawn));
    if (v4.nlri.length > 0) announced.push(rib.announceV4(peerId, v4.nlri, { attributes: common }));
    return announceReach(rib, peerId, common, reach, deltas, announced);
  }
  const withdrawn: Prefix[] = [...msg.withdrawn, ...unreach];
  if (action === "treat-as-withdraw") {
    withdrawn.push(...msg.nlri);
    for (const r of reach) withdrawn.push(...r.nlri);
    deltas.push(...rib.withdraw(peerId, withdrawn));
    return { deltas, announced, treatedAsWithdraw: true, maxPrefix: undefined };
  }
  if (withdrawn.length > 0) deltas.push(...rib.withdraw(peerId, withdrawn));
  if (msg.nlri.length > 0) announced.push(rib.announce(peerId, msg.nlri, { attributes: common }));
  return announceReach(rib, peerId, common, reach, deltas, announced);
}

/** The MP_REACH_NLRI part of {@link applyUpdate}, and the result. */
function announceReach(
  rib: Rib,
  peerId: string,
  common: PathAttribute[],
  reach: Extract<PathAttribute, { type: "mp-reach" }>[],
  deltas: RibDelta[],
  announced: AnnounceResult[],
): UpdateResult {
  if (reach.length > 0) {
    const noNextHop = common.filter((a) => a.type !== "next-hop");
    for (const r of reach) {
      if (r.nlri.length === 0 || r.nextHop === undefined) continue;
      announced.push(
        rib.announce(peerId, r.nlri, {
          attributes: noNextHop,
          nextHop: r.nextHop,
          ...(r.linkLocalNextHop !== undefined ? { linkLocalNextHop: r.linkLocalNextHop } : {}),
        }),
      );
    }
  }
  let maxPrefix: "warn" | "exceeded" | undefined;
  for (const a of announced) {
    if (a.maxPrefix?.state === "exceeded") maxPrefix = "exceeded";
    else if (a.maxPrefix && !maxPrefix) maxPrefix = "warn";
  }
  return new Outcome(deltas, announced, maxPrefix);
}

/**
 * An UPDATE's result whose `deltas` — the withdrawals' deltas, then each
 * announce()'s — are joined when first read: a session reads only
 * `announced` (its subscribers get the deltas from the RIB), and joining
 * copied every route of a full table once more.
 */
class Outcome implements UpdateResult {
  #all: RibDelta[] | undefined;
  readonly #withdrawals: RibDelta[];
  readonly treatedAsWithdraw = false;
  constructor(
    withdrawals: RibDelta[],
    readonly announced: AnnounceResult[],
    readonly maxPrefix: "warn" | "exceeded" | undefined,
  ) {
    this.#withdrawals = withdrawals;
  }

  get deltas(): RibDelta[] {
    if (!this.#all) {
      const all = [...this.#withdrawals];
      for (const a of this.announced) for (const d of a.deltas) all.push(d);
      this.#all = all;
    }
    return this.#all;
  }
}
