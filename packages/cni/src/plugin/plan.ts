// What the Tortie plugin puts in the kernel for one pod, as data (pure):
//
//        pod netns                         host netns
//   ┌──────────────────────┐        ┌───────────────────────────────┐
//   │ eth0  192.0.2.7/32   │ veth   │ cali0123456789a               │
//   │       2001:db8::7/128├────────┤ mac ee:ee:ee:ee:ee:ee         │
//   │ 169.254.1.1 dev eth0 │        │ proxy_arp=1 proxy_ndp=1       │
//   │   scope link         │        │ 192.0.2.7/32 dev cali…        │
//   │ default via          │        │ 2001:db8::7/128 dev cali…     │
//   │   169.254.1.1        │        │   (proto tortie)              │
//   │ default via fe80::   │        └───────────────────────────────┘
//   │   ecee:eeff:feee:eeee│
//   └──────────────────────┘
//
// The pod's gateway 169.254.1.1 exists nowhere: the host end answers ARP
// for it (proxy ARP, RFC 1027), and IPv6 uses the host end's link-local
// address, so every pod has the same routes whatever its address.

import type { IpFamily } from "../spec/ip.js";
import { parseCidr } from "../spec/ip.js";
import type { Interface, IpConfig, Result, Route } from "../spec/result.js";
import { HOST_VETH_MAC, POD_GATEWAY_V4, POD_GATEWAY_V6 } from "./names.js";

/** One address of the pod, as a host prefix. */
export interface PodAddress {
  readonly family: IpFamily;
  /** The bare address. */
  readonly ip: string;
  /** "192.0.2.7/32" or "2001:db8::7/128". */
  readonly cidr: string;
}

/** Everything to create for one pod. */
export interface PodPlan {
  readonly hostVeth: string;
  readonly hostMac: string;
  readonly podIfname: string;
  readonly netns: string;
  readonly mtu: number;
  readonly addresses: readonly PodAddress[];
  /** Sysctls of the host end (slash form: interface names may contain dots). */
  readonly hostSysctls: readonly (readonly [string, string])[];
  /** Sysctls in the pod, set before the interface comes up. */
  readonly podSysctls: readonly (readonly [string, string])[];
  /** Routes in the pod, in order (the gateway's link route first). */
  readonly podRoutes: readonly PodRoute[];
}

/** A route inside the pod. */
export interface PodRoute {
  readonly dst: string;
  readonly family: 4 | 6;
  readonly gateway?: string;
  /** "link" for the gateway's own route. */
  readonly scope?: "link";
}

/** Turns IPAM's addresses ("192.0.2.7/24", any prefix) into host prefixes of the pod. */
export function podAddresses(ips: readonly IpConfig[]): PodAddress[] {
  return ips.map((i) => {
    const c = parseCidr(i.address);
    if (!c) throw new TypeError(`IPAM returned a bad address "${i.address}"`);
    return {
      family: c.family,
      ip: c.address,
      cidr: `${c.address}/${c.family === "4" ? 32 : 128}`,
    };
  });
}

/** Plans a pod's dataplane. */
export function planPod(o: {
  hostVeth: string;
  podIfname: string;
  netns: string;
  mtu: number;
  addresses: readonly PodAddress[];
}): PodPlan {
  const has4 = o.addresses.some((a) => a.family === "4");
  const has6 = o.addresses.some((a) => a.family === "6");
  const v = o.hostVeth;
  const hostSysctls: [string, string][] = [];
  const podSysctls: [string, string][] = [];
  const podRoutes: PodRoute[] = [];
  if (has4) {
    hostSysctls.push(
      [`net/ipv4/conf/${v}/forwarding`, "1"],
      [`net/ipv4/conf/${v}/proxy_arp`, "1"],
      [`net/ipv4/neigh/${v}/proxy_delay`, "0"],
      [`net/ipv4/conf/${v}/rp_filter`, "1"],
    );
    podRoutes.push(
      { dst: `${POD_GATEWAY_V4}/32`, family: 4, scope: "link" },
      { dst: "0.0.0.0/0", family: 4, gateway: POD_GATEWAY_V4 },
    );
  }
  if (has6) {
    hostSysctls.push(
      [`net/ipv6/conf/${v}/accept_dad`, "0"],
      [`net/ipv6/conf/${v}/accept_ra`, "0"],
      [`net/ipv6/conf/${v}/forwarding`, "1"],
      [`net/ipv6/conf/${v}/proxy_ndp`, "1"],
    );
    podSysctls.push([`net/ipv6/conf/${o.podIfname}/accept_dad`, "0"]);
    podRoutes.push({ dst: "::/0", family: 6, gateway: POD_GATEWAY_V6 });
  }
  return {
    hostVeth: v,
    hostMac: HOST_VETH_MAC,
    podIfname: o.podIfname,
    netns: o.netns,
    mtu: o.mtu,
    addresses: o.addresses,
    hostSysctls,
    podSysctls,
    podRoutes,
  };
}

/** The ADD result for a planned pod (interface 0 the host end, 1 the pod's). */
export function resultFor(
  plan: PodPlan,
  podMac: string | undefined,
  cniVersion: string,
  dns?: Result["dns"],
): Result {
  const interfaces: Interface[] = [
    { name: plan.hostVeth, mac: plan.hostMac, mtu: plan.mtu },
    {
      name: plan.podIfname,
      ...(podMac ? { mac: podMac } : {}),
      mtu: plan.mtu,
      sandbox: plan.netns,
    },
  ];
  const ips: IpConfig[] = plan.addresses.map((a) => ({
    address: a.cidr,
    gateway: a.family === "4" ? POD_GATEWAY_V4 : POD_GATEWAY_V6,
    interface: 1,
  }));
  const routes: Route[] = plan.podRoutes
    .filter((r) => r.scope !== "link")
    .map((r) => ({ dst: r.dst, ...(r.gateway ? { gw: r.gateway } : {}) }));
  return { cniVersion, interfaces, ips, routes, ...(dns ? { dns } : {}) };
}
