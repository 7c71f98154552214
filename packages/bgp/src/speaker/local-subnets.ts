// The subnets of the interface a session runs over: what the RIB needs for
// the single-hop eBGP next-hop check (RFC 4271 §5.1.3 (1)) and for passing a
// third-party next hop on unchanged to a peer on the same subnet (§5.1.3 (2),
// as BIRD does), plus the interface name (BGPFilter `interface`). Read with
// getifaddrs (os.networkInterfaces) inside the speaker's network namespace.
import { networkInterfaces } from "node:os";
import { withNetns } from "./libc.js";

/** The interface holding `localAddress`, and every subnet on it ("192.0.2.0/26", "2001:db8::/64"…). */
export function localSubnets(
  localAddress: string,
  netns?: string,
): { subnets: string[]; iface?: string } {
  if (!localAddress) return { subnets: [] };
  let ifs: ReturnType<typeof networkInterfaces>;
  try {
    ifs = withNetns(netns, () => networkInterfaces());
  } catch {
    return { subnets: [] };
  }
  for (const [name, list] of Object.entries(ifs)) {
    if (!list?.some((a) => a.address === localAddress)) continue;
    return {
      subnets: list.filter((a) => a.cidr !== null && !a.internal).map((a) => a.cidr as string),
      iface: name,
    };
  }
  return { subnets: [] };
}
