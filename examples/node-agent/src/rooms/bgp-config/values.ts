// Small value conversions of Calico's BGP resources (pure).

/** An AS number as Calico writes it: 64512, "64512" or asdot "1.10" (RFC 5396). */
export function parseAsNumber(v: number | string): number {
  if (typeof v === "number") return v;
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (m) return Number(m[1]) * 65536 + Number(m[2]);
  return Number(v);
}

/** A Go-style duration ("90s", "2m", "1h30m", "500ms") in whole seconds, rounded up; undefined if malformed. */
export function parseDurationSeconds(v: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let seen = 0;
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(v);
    if (m === null) break;
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
    seen = re.lastIndex;
  }
  if (seen !== v.length || v.length === 0) return undefined;
  return Math.ceil(total);
}

/** peerIP with an optional port: "192.0.2.1", "192.0.2.1:1790", "[2001:db8::1]:1790", "2001:db8::1". */
export function splitPeerIP(v: string): { address: string; port?: number } {
  const m6 = /^\[(.+)\]:(\d+)$/.exec(v);
  if (m6) return { address: m6[1]!, port: Number(m6[2]) };
  const m4 = /^([^:]+):(\d+)$/.exec(v);
  if (m4) return { address: m4[1]!, port: Number(m4[2]) };
  return { address: v };
}

/** The address of "192.0.2.11/24" (Node spec.bgp.ipv4Address is a CIDR). */
export function hostOf(cidr: string): string {
  return cidr.split("/")[0]!;
}

/** Parses an IPv4/IPv6 address into a bigint and its family; undefined if malformed. */
export function ipToBig(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (ip.includes(":")) {
    const [head, tail] = ip.split("::") as [string, string | undefined];
    if (ip.split("::").length > 2) return undefined;
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    let groups: string[];
    if (tail === undefined) groups = h;
    else groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return { family: 6, value: groups.reduce((a, g) => (a << 16n) | BigInt(`0x${g}`), 0n) };
  }
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255))
    return undefined;
  return { family: 4, value: parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n) };
}

/** Whether `inner` (address or CIDR) lies within `outer` (CIDR); false for mixed families or bad input. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oa, ol] = outer.split("/");
  const [ia, il] = inner.split("/");
  const o = ipToBig(oa ?? "");
  const i = ipToBig(ia ?? "");
  if (!o || !i || o.family !== i.family) return false;
  const bits = o.family === 4 ? 32 : 128;
  const olen = Number(ol ?? bits);
  const ilen = Number(il ?? bits);
  if (ilen < olen) return false;
  const shift = BigInt(bits - olen);
  return o.value >> shift === i.value >> shift;
}

/** Prefix length of a CIDR. */
export function prefixLength(cidr: string): number {
  const [a, l] = cidr.split("/");
  return Number(l ?? (a?.includes(":") ? 128 : 32));
}
