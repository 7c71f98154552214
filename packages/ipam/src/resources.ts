// From Calico resources (IPPool, IPReservation, IPAMConfiguration, as
// @tortie/datastore loads them from users' YAML) to IPAM's configuration.
import type { Resource, ResourceClient } from "@tortie/api";
import { formatCidr, parseCidr, parseIp } from "./cidr.js";
import { EMPTY_CONFIG, type IpamConfig } from "./model.js";
import { normalizePool, validateConfig } from "./pools.js";

/**
 * Builds IPAM's configuration from resources: every IPPool, the union of all
 * IPReservations, and the "default" IPAMConfiguration. Other kinds are
 * ignored. Throws the pool errors (overlap, block size) for bad input.
 */
export function ipamConfigFromResources(resources: readonly Resource[]): IpamConfig {
  let cfg: IpamConfig = EMPTY_CONFIG;
  const pools = [];
  const reservations: string[] = [];
  for (const r of resources) {
    if (r.apiVersion !== "projectcalico.org/v3") continue;
    if (r.kind === "IPPool") {
      const s = r.spec;
      pools.push(
        normalizePool({
          name: r.metadata.name,
          cidr: s.cidr,
          blockSize: s.blockSize,
          disabled: s.disabled,
          nodeSelector: s.nodeSelector,
          allowedUses: s.allowedUses,
          assignmentMode: s.assignmentMode,
        }),
      );
    } else if (r.kind === "IPReservation") {
      for (const c of r.spec.reservedCIDRs) {
        const cidr = c.includes("/") ? c : `${c}/${parseIp(c).family === 4 ? 32 : 128}`;
        reservations.push(formatCidr(parseCidr(cidr)));
      }
    } else if (r.kind === "IPAMConfiguration") {
      cfg = {
        ...cfg,
        strictAffinity: r.spec.strictAffinity,
        maxBlocksPerHost: r.spec.maxBlocksPerHost,
        autoAllocateBlocks: r.spec.autoAllocateBlocks,
      };
    }
  }
  cfg = { ...cfg, pools, reservations };
  validateConfig(cfg);
  return cfg;
}

/**
 * Reads IPPool, IPReservation and IPAMConfiguration resources from a
 * resource client (Calico's key layout in the same datastore) and returns
 * the IPAM configuration they define. Apply it with
 * `ipam.updateConfig(() => cfg)`.
 */
export async function loadIpamConfig(client: ResourceClient): Promise<IpamConfig> {
  const v3 = "projectcalico.org/v3";
  const rs = [
    ...(await client.list(v3, "IPPool")),
    ...(await client.list(v3, "IPReservation")),
    ...(await client.list(v3, "IPAMConfiguration")),
  ];
  return ipamConfigFromResources(rs);
}
