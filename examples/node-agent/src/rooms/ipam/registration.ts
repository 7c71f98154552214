// IPAM's part of calico-node: register this node (its Node resource with
// BGP address, AS and labels), and keep @tortie/ipam's configuration equal
// to the IPPool / IPReservation / IPAMConfiguration resources, so that a pool
// applied through the datastore is what the CNI plugin allocates from.
// Pure halves: `nodeResource` and `ipamConfigFor`; the edge: `IpamRoom`.
import type { CalicoResource } from "@tortie/api";
import { ResourceClient } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { Ipam, type IpamConfig, ipamConfigFromResources } from "@tortie/ipam";
import type { Snapshot } from "../../snapshot/snapshot.js";

/** What registration writes. */
export interface Registration {
  readonly nodeName: string;
  /** BGP address with its prefix length, "192.0.2.11/24" (IP env var). */
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  /** AS env var; absent leaves the Node's (or the global) AS. */
  readonly asNumber?: number;
  /** Labels to set (merged over the existing ones). */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The Node resource this node should have, given the one stored (if any);
 * undefined when the stored one already says it. Fields not ours
 * (routeReflectorClusterID, other labels) are kept.
 */
export function nodeResource(
  existing: CalicoResource<"Node"> | undefined,
  r: Registration,
): Record<string, unknown> | undefined {
  const bgp = {
    ...existing?.spec.bgp,
    ...(r.ipv4Address ? { ipv4Address: r.ipv4Address } : {}),
    ...(r.ipv6Address ? { ipv6Address: r.ipv6Address } : {}),
    ...(r.asNumber !== undefined ? { asNumber: r.asNumber } : {}),
  };
  const labels = { ...existing?.metadata.labels, ...r.labels };
  const next = {
    apiVersion: "projectcalico.org/v3",
    kind: "Node",
    metadata: {
      ...(existing?.metadata ?? {}),
      name: r.nodeName,
      ...(Object.keys(labels).length ? { labels } : {}),
    },
    spec: { ...existing?.spec, bgp },
  };
  if (
    existing &&
    JSON.stringify(existing.spec.bgp ?? {}) === JSON.stringify(bgp) &&
    JSON.stringify(existing.metadata.labels ?? {}) === JSON.stringify(labels)
  )
    return undefined;
  return next;
}

/** IPAM's configuration from the snapshot's resources; throws the pool errors (overlap, block size). */
export function ipamConfigFor(s: Snapshot): IpamConfig {
  return ipamConfigFromResources([
    ...[...s.resources.IPPool.values()].sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    ),
    ...s.resources.IPReservation.values(),
    ...s.resources.IPAMConfiguration.values(),
  ]);
}

const sameConfig = (a: IpamConfig, b: IpamConfig) => JSON.stringify(a) === JSON.stringify(b);

/** The edge: writes the Node resource and the IPAM configuration. */
export class IpamRoom {
  readonly client: ResourceClient;
  readonly ipam: Ipam;
  private lastGood: IpamConfig | undefined;

  constructor(store: Datastore) {
    this.client = new ResourceClient(store);
    this.ipam = new Ipam({ store });
  }

  /** Creates or updates this node's Node resource (compare-and-swap, retried). */
  async register(r: Registration): Promise<boolean> {
    for (let i = 0; i < 10; i++) {
      const existing = (await this.client.get({
        apiVersion: "projectcalico.org/v3",
        kind: "Node",
        name: r.nodeName,
      })) as CalicoResource<"Node"> | undefined;
      const next = nodeResource(existing, r);
      if (!next) return false;
      try {
        if (existing) await this.client.update(next);
        else await this.client.create(next);
        return true;
      } catch (e) {
        const n = (e as Error).name;
        if (n !== "RevisionMismatchError" && n !== "KeyExistsError" && n !== "KeyNotFoundError")
          throw e;
      }
    }
    throw new Error(`could not register node ${r.nodeName}: too much contention`);
  }

  /**
   * Makes IPAM's configuration equal to the resources. Throws for a
   * configuration IPAM refuses (the caller reports it and keeps the last good one).
   * Returns true when it wrote.
   */
  async syncConfig(s: Snapshot): Promise<boolean> {
    const want = ipamConfigFor(s);
    if (this.lastGood && sameConfig(this.lastGood, want)) return false;
    const cur = await this.ipam.config(true);
    if (sameConfig(cur, want)) {
      this.lastGood = want;
      return false;
    }
    await this.ipam.updateConfig(() => want);
    this.lastGood = want;
    return true;
  }
}
