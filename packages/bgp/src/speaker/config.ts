// The speaker's configuration: a zod schema (the daemon's YAML/JSON file and
// the API take the same shape), with Calico/BIRD-like defaults. Validation
// errors name the field path.
import { z } from "zod";

const ip = z.union([z.ipv4(), z.ipv6()]);
const cidr = z.union([z.cidrv4(), z.cidrv6()]);
const asn = z.number().int().min(1).max(4294967295);

/** Address families a session can carry. */
export const FamilyName = z.enum(["ipv4-unicast", "ipv6-unicast"]);
export type FamilyName = z.infer<typeof FamilyName>;

/** Options shared by configured peers and dynamic-neighbor ranges. */
const sessionOptions = {
  /** Our AS on this session, when not the speaker's (BIRD `local as`, FRR `local-as`). */
  localAsn: asn.optional(),
  /** Source address of outgoing connections and of NEXT_HOP for IPv4 routes. */
  localAddress: ip.optional(),
  /** IPv6 next hop to announce IPv6 routes with (default: the session's IPv6 source, or IPv4-mapped). */
  nextHop6: z.ipv6().optional(),
  /** Hold time we propose, seconds (0 or ≥ 3; RFC 4271 §4.2). */
  holdTime: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .refine((v) => v === 0 || v >= 3, "hold time must be 0 or ≥ 3")
    .default(90),
  /** Keepalive interval, seconds (default hold/3). */
  keepaliveTime: z.number().int().min(1).max(21845).optional(),
  /** Seconds between connection attempts (RFC 4271 ConnectRetryTime). */
  connectRetryTime: z.number().int().min(1).max(65535).default(5),
  /** Never connect; wait for the peer. */
  passive: z.boolean().default(false),
  /** eBGP multihop: TTL of our packets (default 1 for eBGP, 64 for iBGP). */
  multihop: z.number().int().min(1).max(255).optional(),
  /** GTSM (RFC 5082): the peer is at most this many hops away; we send TTL 255 and accept ≥ 256 − hops. */
  ttlSecurity: z.number().int().min(1).max(254).optional(),
  /** TCP-MD5 password (RFC 2385). */
  password: z.string().min(1).max(80).optional(),
  /** Families to negotiate (default: the family of the peer address). */
  families: z.array(FamilyName).min(1).optional(),
  /** Announce and accept ADD-PATH (RFC 7911) for the families: receive, send or both. */
  addPath: z.enum(["receive", "send", "both"]).optional(),
  /** Hold time while waiting for the peer's OPEN after connecting, seconds. */
  openHoldTime: z.number().int().min(3).max(65535).default(240),
  /** Damping of reconnects: first and largest wait after a failure, seconds (BIRD `error wait time`). */
  errorWaitTime: z.tuple([z.number().min(0), z.number().min(0)]).default([1, 60]),
  /** Free-form description shown in status. */
  description: z.string().optional(),
};

/** One configured BGP peer. */
export const PeerConfig = z.object({
  /** Peer address (IPv4 or IPv6). */
  address: ip,
  /** TCP port the peer listens on. */
  port: z.number().int().min(1).max(65535).default(179),
  /** The peer's AS number. */
  asn,
  ...sessionOptions,
});
export type PeerConfig = z.infer<typeof PeerConfig>;
export type PeerConfigInput = z.input<typeof PeerConfig>;

/** Accept sessions from any address in a prefix (BIRD `neighbor range`, FRR `bgp listen range`). */
export const DynamicNeighborConfig = z.object({
  prefix: cidr,
  /** The AS such peers must have, or "internal" (ours) / "external" (any other). */
  asn: z.union([asn, z.enum(["internal", "external"])]),
  /** Most sessions from the range at once. */
  limit: z.number().int().min(1).default(100),
  ...sessionOptions,
  passive: z.literal(true).default(true),
});
export type DynamicNeighborConfig = z.infer<typeof DynamicNeighborConfig>;
export type DynamicNeighborConfigInput = z.input<typeof DynamicNeighborConfig>;

/** A prefix the speaker originates, with optional attributes. */
export const OriginateConfig = z.object({
  prefix: cidr,
  /** ORIGIN (default igp). */
  origin: z.enum(["igp", "egp", "incomplete"]).default("igp"),
  /** MULTI_EXIT_DISC. */
  med: z.number().int().min(0).max(4294967295).optional(),
  /** LOCAL_PREF (iBGP only; default 100). */
  localPref: z.number().int().min(0).max(4294967295).optional(),
  /** COMMUNITIES as "asn:value" or well-known names (no-export, no-advertise…). */
  communities: z.array(z.string()).optional(),
  /** LARGE_COMMUNITIES as "global:local1:local2". */
  largeCommunities: z.array(z.string().regex(/^\d+:\d+:\d+$/)).optional(),
  /** Explicit next hop (default: the session's local address). */
  nextHop: ip.optional(),
});
export type OriginateConfig = z.infer<typeof OriginateConfig>;
export type OriginateConfigInput = z.input<typeof OriginateConfig>;

/** The whole speaker. */
export const SpeakerConfig = z.object({
  /** Our AS number. */
  asn,
  /** BGP identifier, dotted quad. */
  routerId: z.ipv4(),
  /** Where to accept sessions; `false` to never listen (active-only). */
  listen: z
    .union([
      z.literal(false),
      z.object({
        address: ip.default("::"),
        port: z.number().int().min(0).max(65535).default(179),
      }),
    ])
    .default({ address: "::", port: 179 }),
  /** Network namespace (path such as /var/run/netns/NAME) to open sockets in. */
  netns: z.string().optional(),
  peers: z.array(PeerConfig).default([]),
  dynamicNeighbors: z.array(DynamicNeighborConfig).default([]),
  originate: z.array(OriginateConfig).default([]),
});
export type SpeakerConfig = z.infer<typeof SpeakerConfig>;
export type SpeakerConfigInput = z.input<typeof SpeakerConfig>;

/** A configuration that does not validate; `issues` name each field path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(
      `invalid BGP configuration: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
    );
  }
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ConfigError(
    r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  );
}

/** Validates a speaker configuration and fills in defaults; throws {@link ConfigError}. */
export function parseSpeakerConfig(input: unknown): SpeakerConfig {
  return parseWith(SpeakerConfig, input);
}

/** Validates one peer; throws {@link ConfigError}. */
export function parsePeerConfig(input: unknown): PeerConfig {
  return parseWith(PeerConfig, input);
}

/** Validates one originated prefix; throws {@link ConfigError}. */
export function parseOriginateConfig(input: unknown): OriginateConfig {
  return parseWith(OriginateConfig, input);
}
