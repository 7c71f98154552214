// The node's connected prefixes, as Calico's BIRD sees them through its
// `protocol direct`: every address of an interface that is up, except on
// the workload veths (`cali*`), kube-proxy's `kube-ipvs*` and the interfaces
// of BGPConfiguration `ignoredInterfaces` (confd renders
// `interface -"cali*", -"kube-ipvs*", -"<ignored>"…, "*"`). Those that lie
// in an IP pool with BGP export enabled, outside this node's own blocks, are
// announced (calico_export_to_bgp_peers); an ignored interface's are not.
// Pure: the edge lists links and addresses.
import { ipToBig } from "./values.js";

/** One address of an interface (from `ip address`). */
export interface InterfaceAddress {
  readonly ifname: string;
  /** "198.51.100.200/32", "2001:db8::11/64". */
  readonly cidr: string;
}

/** BIRD's interface pattern: `*` any run of characters, `?` one character. */
export function interfacePatternMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}

/** The patterns of interfaces whose routes are never used: Calico's two, the veth prefix, then the configured ones. */
export function excludedInterfaces(vethPrefix: string, ignored: readonly string[] = []): string[] {
  return [...new Set([`${vethPrefix}*`, "cali*", "kube-ipvs*", ...ignored])];
}

function formatV6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - i * 16)) & 0xffffn));
  // RFC 5952 §4.2: the longest run (first if tied) of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** The network of an interface address: "192.0.2.11/24" → "192.0.2.0/24"; undefined if malformed. */
export function networkOf(cidr: string): string | undefined {
  const [a, l] = cidr.split("/");
  const ip = ipToBig(a ?? "");
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const len = Number(l ?? bits);
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const host = (1n << BigInt(bits - len)) - 1n;
  const net = ip.value & ~host;
  const text =
    ip.family === 4
      ? [24n, 16n, 8n, 0n].map((s) => String((net >> s) & 0xffn)).join(".")
      : formatV6(net);
  return `${text}/${len}`;
}

/** The connected prefixes of the interfaces not excluded (sorted, each once). */
export function connectedPrefixes(
  addresses: readonly InterfaceAddress[],
  excluded: readonly string[],
): string[] {
  const out = new Set<string>();
  for (const a of addresses) {
    if (excluded.some((p) => interfacePatternMatches(p, a.ifname))) continue;
    const net = networkOf(a.cidr);
    if (net) out.add(net);
  }
  return [...out].sort();
}
