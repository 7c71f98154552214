// The subnets of the interface a session runs over: what the RIB needs for
// the single-hop eBGP next-hop check (RFC 4271 §5.1.3 (1)) and for passing a
// third-party next hop on unchanged to a peer on the same subnet (§5.1.3 (2),
// as BIRD does), plus the interface name (BGPFilter `interface`). Read with
// getifaddrs (os.networkInterfaces) inside the speaker's network namespace.
import { networkInterfaces } from "node:os";
import { withNetns } from "./libc.js";

/**
 * The interface holding `localAddress`, every subnet on it ("192.0.2.0/26",
 * "2001:db8::/64"…) and its first global IPv6 address.
 */
export function localSubnets(
  localAddress: string,
  netns?: string,
): { subnets: string[]; iface?: string; address6?: string } {
  if (!localAddress) return { subnets: [] };
  let ifs: ReturnType<typeof networkInterfaces>;
  try {
    ifs = withNetns(netns, () => networkInterfaces());
  } catch {
    return { subnets: [] };
  }
  for (const [name, list] of Object.entries(ifs)) {
    if (!list?.some((a) => a.address === localAddress)) continue;
    // The interface's first global IPv6 address: the next hop of IPv6
    // routes sent over an IPv4 session on this link (RFC 2545 §3 wants a
    // global address; BIRD picks the interface's in the same way).
    const global6 = list.find(
      (a) => a.family === "IPv6" && !a.internal && a.scopeid === 0 && !/^fe[89ab]/i.test(a.address),
    );
    return {
      subnets: list.filter((a) => a.cidr !== null && !a.internal).map((a) => a.cidr as string),
      iface: name,
      ...(global6 ? { address6: global6.address } : {}),
    };
  }
  return { subnets: [] };
}
