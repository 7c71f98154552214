// Deterministic names and addresses of the Tortie plugin's dataplane, after
// Calico's: the host end of a pod's veth is "cali" + the first 11 hex digits
// of SHA-1 over the workload's identity, 15 characters (IFNAMSIZ - 1), so
// that DEL, CHECK and GC find it again from the same CNI parameters alone.

import { createHash } from "node:crypto";
import { MAX_IFNAME_LENGTH } from "../spec/env.js";

/** The host end's MAC: every pod sees the same gateway MAC (Calico's choice). */
export const HOST_VETH_MAC = "ee:ee:ee:ee:ee:ee";

/** The IPv4 gateway every pod routes through; answered by proxy ARP on the host end. */
export const POD_GATEWAY_V4 = "169.254.1.1";

/**
 * The IPv6 link-local address the kernel gives the host end (RFC 4291
 * section 2.5.1 / appendix A: modified EUI-64 from the MAC, with the U/L
 * bit inverted): ee:ee:ee:ee:ee:ee → fe80::ecee:eeff:feee:eeee.
 */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(":").map((h) => Number.parseInt(h, 16));
  if (b.length !== 6 || b.some((x) => !(x >= 0 && x <= 255))) throw new TypeError(`bad MAC ${mac}`);
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((eui[i]! << 8) | eui[i + 1]!).toString(16));
  return `fe80::${groups.join(":")}`;
}

/** The pod's IPv6 gateway: the host end's link-local address. */
export const POD_GATEWAY_V6 = linkLocalFromMac(HOST_VETH_MAC);

/**
 * The workload's identity: "namespace.pod" from CNI_ARGS K8S_POD_NAMESPACE and
 * K8S_POD_NAME when both are given, else the container id; a second
 * interface of the same pod (CNI_IFNAME other than eth0) adds ".ifname".
 */
export function workloadKey(
  args: Readonly<Record<string, string>>,
  containerId: string,
  ifname: string,
): string {
  const ns = args.K8S_POD_NAMESPACE;
  const pod = args.K8S_POD_NAME;
  const base = ns && pod ? `${ns}.${pod}` : containerId;
  return ifname === "eth0" ? base : `${base}.${ifname}`;
}

/** The host veth name for a workload key: prefix + hex SHA-1, 15 characters in all. */
export function hostVethName(key: string, prefix = "cali"): string {
  if (prefix.length === 0 || prefix.length > 11) {
    throw new TypeError(`veth prefix "${prefix}" must have 1 to 11 characters`);
  }
  const hex = createHash("sha1").update(key).digest("hex");
  return prefix + hex.slice(0, MAX_IFNAME_LENGTH - prefix.length);
}
