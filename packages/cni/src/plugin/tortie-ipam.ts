// Pod addresses from @tortie/ipam in-process (`"ipam": {"type": "tortie"}`):
// Calico's pools and node-affine blocks in the plugin's datastore, no IPAM
// process per call.
//
//   "ipam": { "type": "tortie",
//             "assign_ipv4": true, "assign_ipv6": false,   (defaults)
//             "ipv4_pools": ["pods-v4"], "ipv6_pools": [] } (names or CIDRs)
//
// Fixed addresses, in order of precedence: runtimeConfig `ips` (the "ips"
// capability), `args.cni.ips`, CNI_ARGS `IP` (comma-separated). The handle of
// an attachment is "tortie:<network>:<node>:<containerID>:<ifname>" (":"
// appears in none of them), with namespace, pod and node as attributes, so GC
// can find this node's attachments of this network.

import type { Ipam } from "@tortie/ipam";
import { parsePluginConfig } from "../spec/config.js";
import { parseCniArgs } from "../spec/env.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { ipFamily } from "../spec/ip.js";
import type { Result } from "../spec/result.js";
import { TortieErrorCode } from "./config.js";
import type { IpamCall, PodIpam } from "./ipam.js";

/** The handle id of an attachment. */
export function handleId(
  network: string,
  node: string,
  containerId: string,
  ifname: string,
): string {
  return `tortie:${network}:${node}:${containerId}:${ifname}`;
}

/** Fixed addresses asked for by the runtime, if any. */
export function requestedIps(raw: Readonly<Record<string, unknown>>, cniArgs: string): string[] {
  const rc = raw.runtimeConfig as { ips?: unknown } | undefined;
  const args = raw.args as { cni?: { ips?: unknown } } | undefined;
  const list = Array.isArray(rc?.ips)
    ? rc.ips
    : Array.isArray(args?.cni?.ips)
      ? args.cni.ips
      : undefined;
  const fromArgs = parseCniArgs(cniArgs).find(([k]) => k === "IP")?.[1];
  const ips = (list ?? (fromArgs ? fromArgs.split(",") : [])).map(
    (x) => String(x).trim().split("/")[0]!,
  );
  for (const ip of ips) {
    if (!ipFamily(ip))
      throw new CniError(ErrorCode.InvalidNetworkConfig, `requested IP "${ip}" is not an address`);
  }
  return ips;
}

interface IpamSettings {
  readonly assign4: boolean;
  readonly assign6: boolean;
  readonly pools4: string[];
  readonly pools6: string[];
}

function settings(raw: Readonly<Record<string, unknown>>): IpamSettings {
  const i = (raw.ipam ?? {}) as Record<string, unknown>;
  const strs = (v: unknown, k: string) => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `ipam.${k} must be a list of pool names or CIDRs`,
      );
    return v as string[];
  };
  const flag = (v: unknown, d: boolean, k: string) => {
    if (v === undefined) return d;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    throw new CniError(ErrorCode.InvalidNetworkConfig, `ipam.${k} must be true or false`);
  };
  const s = {
    assign4: flag(i.assign_ipv4, true, "assign_ipv4"),
    assign6: flag(i.assign_ipv6, false, "assign_ipv6"),
    pools4: strs(i.ipv4_pools, "ipv4_pools"),
    pools6: strs(i.ipv6_pools, "ipv6_pools"),
  };
  if (!s.assign4 && !s.assign6)
    throw new CniError(ErrorCode.InvalidNetworkConfig, "ipam assigns no address family");
  return s;
}

const hostPrefix = (ip: string) => `${ip}/${ip.includes(":") ? 128 : 32}`;

/** {@link PodIpam} on @tortie/ipam. */
export class TortieIpam implements PodIpam {
  constructor(
    private readonly ipam: () => Promise<Ipam>,
    private readonly node: string,
  ) {}

  private handle(call: IpamCall): string {
    const cfg = parsePluginConfig(call.stdin);
    return handleId(cfg.name, this.node, call.env.CNI_CONTAINERID ?? "", call.env.CNI_IFNAME ?? "");
  }

  private static attrs(cniArgs: string, node: string): Record<string, string> {
    const a = Object.fromEntries(parseCniArgs(cniArgs));
    return {
      node,
      ...(a.K8S_POD_NAMESPACE ? { namespace: a.K8S_POD_NAMESPACE } : {}),
      ...(a.K8S_POD_NAME ? { pod: a.K8S_POD_NAME } : {}),
    };
  }

  async add(call: IpamCall): Promise<Result> {
    const cfg = parsePluginConfig(call.stdin);
    const s = settings(cfg.raw);
    const cniArgs = call.env.CNI_ARGS ?? "";
    const fixed = requestedIps(cfg.raw, cniArgs);
    const handleId = this.handle(call);
    const attrs = TortieIpam.attrs(cniArgs, this.node);
    const ipam = await this.ipam();
    let ips: string[];
    try {
      if (fixed.length) {
        ips = [];
        for (const ip of fixed)
          ips.push((await ipam.assignIp({ ip, handleId, hostname: this.node, attrs })).ip);
      } else {
        const r = await ipam.autoAssign({
          handleId,
          hostname: this.node,
          num4: s.assign4 ? 1 : 0,
          num6: s.assign6 ? 1 : 0,
          attrs,
          ...(s.pools4.length ? { pools4: s.pools4 } : {}),
          ...(s.pools6.length ? { pools6: s.pools6 } : {}),
        });
        ips = [...r.ipv4, ...r.ipv6].map((a) => a.ip);
      }
    } catch (e) {
      await ipam.releaseByHandle(handleId).catch(() => undefined);
      throw new CniError(TortieErrorCode.Ipam, `IPAM: ${(e as Error).message}`, (e as Error).name);
    }
    return { cniVersion: cfg.cniVersion, ips: ips.map((ip) => ({ address: hostPrefix(ip) })) };
  }

  async del(call: IpamCall): Promise<void> {
    await (await this.ipam()).releaseByHandle(this.handle(call));
  }

  async check(call: IpamCall): Promise<void> {
    const cfg = parsePluginConfig(call.stdin);
    const held = new Set(
      (await (await this.ipam()).ipsByHandle(this.handle(call))).map(hostPrefix),
    );
    for (const ip of cfg.prevResult?.ips ?? []) {
      if (!held.has(ip.address)) {
        throw new CniError(
          TortieErrorCode.CheckFailed,
          `address ${ip.address} is not allocated to this attachment`,
        );
      }
    }
  }

  async gc(call: IpamCall): Promise<void> {
    const cfg = parsePluginConfig(call.stdin);
    const valid = new Set(
      (cfg.validAttachments ?? []).map((a) =>
        handleId(cfg.name, this.node, a.containerID, a.ifname),
      ),
    );
    const prefix = `tortie:${cfg.name}:${this.node}:`;
    const ipam = await this.ipam();
    for (const h of await ipam.listHandles()) {
      const id = h.value.handleId;
      if (id.startsWith(prefix) && !valid.has(id)) await ipam.releaseByHandle(id);
    }
  }

  async status(call: IpamCall): Promise<void> {
    const cfg = parsePluginConfig(call.stdin);
    const s = settings(cfg.raw);
    const { usage } = await import("./store-client.js");
    const u = await usage(await this.ipam());
    const room = (fam: 4 | 6, names: string[]) =>
      u.pools.some(
        (p) =>
          (p.cidr.includes(":") ? 6 : 4) === fam &&
          (names.length === 0 || names.includes(p.name) || names.includes(p.cidr)) &&
          p.inUse < p.size,
      );
    if ((s.assign4 && !room(4, s.pools4)) || (s.assign6 && !room(6, s.pools6))) {
      throw new CniError(ErrorCode.PluginNotAvailable, "no IP pool has room for new pods");
    }
  }
}
