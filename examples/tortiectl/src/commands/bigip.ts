// `tortiectl bigip config`: BIG-IP's side of the peering, read from the
// datastore (default BGPConfiguration, Nodes, the BGPPeer that is BIG-IP).
import { readFileSync } from "node:fs";
import { ResourceClient } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import {
  type BigipNode,
  type BigipPeer,
  BigipRenderError,
  durationSeconds,
  parsePeerIP,
  renderBigipConfig,
} from "../bigip/render.js";
import { CommandError, UsageError } from "../errors.js";

const V3 = "projectcalico.org/v3";

/** Options of `bigip config`. */
export interface BigipConfigOptions {
  readonly format: string;
  readonly peer?: string;
  readonly peerGroup?: string;
  readonly passwordFile?: string;
  readonly bfd?: boolean;
  readonly routeDomain?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: resources are validated by the datastore's schemas
type Any = any;

/** Reads the cluster from `store` and renders the BIG-IP configuration. */
export async function bigipConfig(store: Datastore, opts: BigipConfigOptions): Promise<string> {
  if (opts.format !== "tmsh" && opts.format !== "frr") {
    throw new UsageError(`--format must be tmsh or frr, not ${JSON.stringify(opts.format)}`);
  }
  const client = new ResourceClient(store);
  const [configs, nodes, peers] = await Promise.all([
    client.list(V3, "BGPConfiguration"),
    client.list(V3, "Node"),
    client.list(V3, "BGPPeer"),
  ]);
  const def = configs.find((c) => (c.metadata as Any).name === "default") as Any;
  const clusterAs: number = def?.spec?.asNumber ?? 64512;
  const withIp = peers.filter((p) => (p as Any).spec.peerIP);
  let chosen: Any;
  if (opts.peer !== undefined) {
    chosen = withIp.find(
      (p) =>
        (p.metadata as Any).name === opts.peer ||
        parsePeerIP((p as Any).spec.peerIP).address === opts.peer,
    );
    if (!chosen) {
      throw new CommandError(
        `no BGPPeer named or with peerIP ${opts.peer}; BGPPeers with a peerIP: ${names(withIp) || "none"}`,
      );
    }
  } else if (withIp.length === 1) {
    chosen = withIp[0];
  } else {
    throw new CommandError(
      withIp.length === 0
        ? "no BGPPeer with a peerIP in the datastore: apply the BGPPeer for BIG-IP first"
        : `several BGPPeers have a peerIP (${names(withIp)}): choose one with --peer NAME`,
    );
  }
  const spec = chosen.spec;
  if (spec.asNumber === undefined)
    throw new CommandError(`BGPPeer ${chosen.metadata.name} has no asNumber`);
  const peer: BigipPeer = {
    name: chosen.metadata.name,
    address: parsePeerIP(spec.peerIP).address,
    asNumber: spec.asNumber,
    hasPassword: spec.password !== undefined,
    ...(spec.node ? { node: spec.node } : {}),
    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.maxRestartTime ? { restartTimeSeconds: durationSeconds(spec.maxRestartTime) } : {}),
  };
  const bigipNodes: BigipNode[] = nodes.map((n: Any) => ({
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
    ...(n.spec?.bgp?.ipv4Address ? { ipv4: String(n.spec.bgp.ipv4Address).split("/")[0] } : {}),
    ...(n.spec?.bgp?.ipv6Address ? { ipv6: String(n.spec.bgp.ipv6Address).split("/")[0] } : {}),
    ...(n.spec?.bgp?.asNumber !== undefined ? { asNumber: n.spec.bgp.asNumber } : {}),
  }));
  let password: string | undefined;
  if (opts.passwordFile !== undefined) {
    try {
      password = readFileSync(opts.passwordFile, "utf8").trim();
    } catch (e) {
      throw new UsageError(
        `cannot read --password-file ${opts.passwordFile}: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
  }
  const routeDomain = opts.routeDomain === undefined ? 0 : Number(opts.routeDomain);
  if (!Number.isInteger(routeDomain) || routeDomain < 0 || routeDomain > 65534) {
    throw new UsageError(`--route-domain must be an integer 0-65534`);
  }
  try {
    return renderBigipConfig(
      { clusterAs, nodes: bigipNodes, peer },
      {
        format: opts.format,
        routeDomain,
        ...(opts.peerGroup ? { peerGroup: opts.peerGroup } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(opts.bfd ? { bfd: true } : {}),
      },
    );
  } catch (e) {
    if (e instanceof BigipRenderError) throw new CommandError(e.message);
    throw e;
  }
}

function names(rs: readonly unknown[]): string {
  return rs.map((r) => (r as Any).metadata.name).join(", ");
}
