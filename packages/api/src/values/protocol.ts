// IP protocol names Calico accepts (api/pkg/lib/numorstring Protocol) and
// their IANA numbers ("Assigned Internet Protocol Numbers").

/** Protocol names Calico accepts, with their IANA numbers. */
export const PROTOCOL_NUMBERS = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
} as const;

/** A named protocol. */
export type ProtocolName = keyof typeof PROTOCOL_NUMBERS;

/** A protocol as written in a rule: a name (any case) or a number 1–255. */
export type Protocol = ProtocolName | number;

/** The protocol's number; undefined for an unknown name. */
export function protocolNumber(p: string | number): number | undefined {
  if (typeof p === "number") return Number.isInteger(p) && p >= 0 && p <= 255 ? p : undefined;
  if (/^\d+$/.test(p)) return protocolNumber(Number(p));
  const k = Object.keys(PROTOCOL_NUMBERS).find((n) => n.toLowerCase() === p.toLowerCase());
  return k === undefined ? undefined : PROTOCOL_NUMBERS[k as ProtocolName];
}

/** Protocols that carry ports (Calico allows `ports` only with these). */
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 132, 136]);

/** Name of a protocol number for messages and nft (`tcp`, `udp`, `icmp`, … or the number). */
export function protocolName(n: number): string {
  const e = Object.entries(PROTOCOL_NUMBERS).find(([, v]) => v === n);
  return e ? e[0] : String(n);
}
