// BGPFilter rules on learned routes (pure). Calico's BGPFilter reference:
// rules are tried in order, the first that matches decides (Accept/Reject);
// a route no rule matches is accepted. Several filters on one peer are tried
// in the order the BGPPeer lists them.
//
//   matchOperator Equal     prefix == cidr
//                 NotEqual  prefix != cidr
//                 In        prefix within cidr (then prefixLength min/max bound its length)
//                 NotIn     prefix not within cidr
import { cidrContains, prefixLength } from "../bgp-config/values.js";

/** One BGPFilter rule (Calico v3 `BGPFilterRule`). */
export interface FilterRule {
  readonly action: "Accept" | "Reject";
  readonly matchOperator?: "Equal" | "NotEqual" | "In" | "NotIn";
  readonly cidr?: string;
  readonly prefixLength?: { readonly min?: number; readonly max?: number };
  readonly source?: "RemotePeers";
  readonly interface?: string;
}

/** The parts of a BGPFilter spec used on import. */
export interface FilterSpec {
  readonly importV4?: readonly FilterRule[];
  readonly importV6?: readonly FilterRule[];
  readonly exportV4?: readonly FilterRule[];
  readonly exportV6?: readonly FilterRule[];
}

const canon = (c: string) => c.toLowerCase();

/** Whether one rule matches a prefix. */
export function ruleMatches(rule: FilterRule, prefix: string): boolean {
  if (rule.cidr !== undefined) {
    const within = cidrContains(rule.cidr, prefix);
    const equal = within && prefixLength(rule.cidr) === prefixLength(prefix);
    switch (rule.matchOperator ?? "In") {
      case "Equal":
        if (!equal) return false;
        break;
      case "NotEqual":
        if (equal) return false;
        break;
      case "In":
        if (!within) return false;
        break;
      case "NotIn":
        if (within) return false;
        break;
    }
  }
  const len = prefixLength(prefix);
  if (rule.prefixLength?.min !== undefined && len < rule.prefixLength.min) return false;
  if (rule.prefixLength?.max !== undefined && len > rule.prefixLength.max) return false;
  return true;
}

/** Import decision for a learned prefix through `filters` (in order). */
export function importAccepted(filters: readonly FilterSpec[], prefix: string): boolean {
  const v6 = canon(prefix).includes(":");
  for (const f of filters) {
    for (const r of (v6 ? f.importV6 : f.importV4) ?? []) {
      // interface rules concern routes from the kernel, not from peers
      if (r.interface !== undefined) continue;
      if (ruleMatches(r, prefix)) return r.action === "Accept";
    }
  }
  return true;
}
