// The speaker's configuration: a zod schema (the daemon's YAML/JSON file and
// the API take the same shape), with Calico/BIRD-like defaults. Validation
// errors name the field path. Every object is strict: an unknown key is an
// error naming its path and the closest valid name (a `md5Password:` typo
// must not bring a session up without TCP-MD5). Each field carries its
// documentation (`.describe()`), shown by `tortie-bgp --help-config`.
import { Address4, Address6 } from "ip-address";
import { z } from "zod";
import { parseBgpFilter } from "../policy/parse.js";
import type { BgpFilter } from "../policy/types.js";
import { closest } from "./suggest.js";

const ip = z.union([z.ipv4(), z.ipv6()]);
const cidr = z.union([z.cidrv4(), z.cidrv6()]);
/** A prefix whose host bits are clear ("198.51.100.0/26", not "198.51.100.1/26"). */
const networkPrefix = cidr.superRefine((p, ctx) => {
  const net = networkOf(p);
  if (net !== undefined && net !== canonical(p))
    ctx.addIssue({ code: "custom", message: `host bits set in ${p} (did you mean ${net}?)` });
});
const asn = z.number().int().min(1).max(4294967295);

/** Address families a session can carry. */
export const FamilyName = z.enum(["ipv4-unicast", "ipv6-unicast"]);
export type FamilyName = z.infer<typeof FamilyName>;

/** Graceful restart (RFC 4724): advertised capability and helper behaviour. */
export const GracefulRestartConfig = z
  .strictObject({
    restartTime: z
      .number()
      .int()
      .min(0)
      .max(4095)
      .default(120)
      .describe(
        "Restart Time we advertise, seconds (0–4095, RFC 4724 §3): how long peers keep our routes while we restart.",
      ),
    forwardingPreserved: z
      .boolean()
      .default(true)
      .describe(
        "Set the Forwarding State (F) bit for every family: our routes stay in the kernel across a restart.",
      ),
    staleTime: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(360)
      .describe(
        "Seconds a returning peer's stale routes are kept while waiting for its End-of-RIB (FRR's stalepath-time).",
      ),
  })
  .describe("Graceful restart (RFC 4724), restarting speaker and helper roles.");
export type GracefulRestartConfig = z.infer<typeof GracefulRestartConfig>;
export type GracefulRestartConfigInput = z.input<typeof GracefulRestartConfig>;

/** A Calico BGPFilter resource (projectcalico.org/v3), validated by `policy.parseBgpFilter`. */
const bgpFilter = z.unknown().transform((v, ctx): BgpFilter => {
  try {
    return parseBgpFilter(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

/** Max-prefix (BIRD `import limit`, Calico-free; Cease/1 per RFC 4486). */
export const MaxPrefixConfig = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(1)
      .describe("Most routes accepted from the peer (counted after import filters)."),
    action: z
      .enum(["warn", "cease"])
      .default("cease")
      .describe(
        "`warn`: log and keep accepting; `cease`: close the session with Cease / Maximum Number of Prefixes Reached (RFC 4486 §4) and drop its routes.",
      ),
    restartAfterSec: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "After a `cease`, start the session again after this many seconds (absent: stay down until started by hand).",
      ),
  })
  .describe("Max-prefix limit of routes learned from this peer.");
export type MaxPrefixConfig = z.infer<typeof MaxPrefixConfig>;

/** Options shared by configured peers and dynamic-neighbor ranges. */
const sessionOptions = {
  /** Calico BGPFilters applied to routes learned from this peer, first match wins. */
  importFilters: z
    .array(bgpFilter)
    .optional()
    .describe(
      "Calico BGPFilter resources (importV4/importV6 rules) applied to routes learned from this peer; first matching rule wins, default accept.",
    ),
  /** Calico BGPFilters applied to routes sent to this peer. */
  exportFilters: z
    .array(bgpFilter)
    .optional()
    .describe(
      "Calico BGPFilter resources (exportV4/exportV6 rules) applied to routes sent to this peer; first matching rule wins, default accept.",
    ),
  /** The peer is our route-reflector client (RFC 4456); needs the speaker's `clusterId`. */
  routeReflectorClient: z
    .boolean()
    .default(false)
    .describe(
      "The peer is our route-reflector client (RFC 4456 §6): routes learned over iBGP are reflected to it and from it.",
    ),
  /** Next hop of routes sent to this peer (Calico `nextHopMode`; `keep` = `keepOriginalNextHop`). */
  nextHopMode: z
    .enum(["auto", "self", "keep"])
    .default("auto")
    .describe(
      "Next hop of routes sent to this peer (Calico `nextHopMode`): auto — ours towards eBGP unless on the shared subnet, unchanged towards iBGP; self — always ours; keep — never changed (Calico `keepOriginalNextHop`).",
    ),
  /** Times our AS may appear in the peer's AS_PATHs (Calico `numAllowedLocalASNumbers`). */
  allowAsIn: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(0)
    .describe(
      "Times our AS may appear in an AS_PATH received from this peer before the route is a loop (Calico `numAllowedLocalASNumbers`).",
    ),
  /** Calico BGPPeer `maxRestartTime`: the Restart Time we advertise to this peer (RFC 4724 §3). */
  maxRestartTime: z
    .number()
    .int()
    .min(0)
    .max(4095)
    .optional()
    .describe(
      "Calico BGPPeer `maxRestartTime`, seconds: the Restart Time we advertise to this peer (RFC 4724 §3) — how long it keeps our routes while we restart. Turns graceful restart on for this session (other settings from `gracefulRestart` or their defaults) unless `gracefulRestart: false`.",
    ),
  maxPrefix: MaxPrefixConfig.optional().describe(
    "Max-prefix limit of routes learned from this peer: warn, or Cease / Maximum Number of Prefixes Reached (RFC 4486 §4) and an optional restart.",
  ),
  /** RFC 9687 send hold time, seconds (default max(480, 2 × hold time)); 0 turns it off. */
  sendHoldTime: z
    .number()
    .min(0)
    .max(65535)
    .optional()
    .describe(
      "RFC 9687 send hold time, seconds: the session is closed (NOTIFICATION 8, Send Hold Timer Expired) when the peer reads nothing for this long while we have data to send. Default max(480, 2 × hold time); 0 turns it off.",
    ),
  /** Our AS on this session, when not the speaker's (BIRD `local as`, FRR `local-as`). */
  localAsn: asn
    .optional()
    .describe("Our AS on this session, when not the speaker's (BIRD `local as`, FRR `local-as`)."),
  /** Source address of outgoing connections and of NEXT_HOP for IPv4 routes. */
  localAddress: ip
    .optional()
    .describe("Source address of outgoing connections and of NEXT_HOP for IPv4 routes."),
  /** IPv6 next hop to announce IPv6 routes with (default: the session's IPv6 source; over IPv4, a global IPv6 address of the session's interface, else IPv4-mapped). */
  nextHop6: z
    .ipv6()
    .optional()
    .describe(
      "IPv6 next hop to announce IPv6 routes with (default: the session's IPv6 source; over IPv4, a global IPv6 address of the session's interface, else IPv4-mapped).",
    ),
  /** Hold time we propose, seconds (0 or ≥ 3; RFC 4271 §4.2). */
  holdTime: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .refine((v) => v === 0 || v >= 3, "hold time must be 0 or ≥ 3")
    .default(90)
    .describe("Hold time we propose, seconds (0 or ≥ 3; RFC 4271 §4.2)."),
  /** Keepalive interval, seconds (default hold/3). */
  keepaliveTime: z
    .number()
    .int()
    .min(1)
    .max(21845)
    .optional()
    .describe("Keepalive interval, seconds (default hold/3)."),
  /** Seconds between connection attempts (RFC 4271 ConnectRetryTime). */
  connectRetryTime: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(5)
    .describe("Seconds between connection attempts (RFC 4271 ConnectRetryTime)."),
  /** Never connect; wait for the peer. */
  passive: z.boolean().default(false).describe("Never connect; wait for the peer."),
  /** eBGP multihop: TTL of our packets (default 1 for eBGP, 64 for iBGP). */
  multihop: z
    .number()
    .int()
    .min(1)
    .max(255)
    .optional()
    .describe("eBGP multihop: TTL of our packets (default 1 for eBGP, 64 for iBGP)."),
  /** GTSM (RFC 5082): the peer is at most this many hops away; we send TTL 255 and accept ≥ 256 − hops. */
  ttlSecurity: z
    .number()
    .int()
    .min(1)
    .max(254)
    .optional()
    .describe(
      "GTSM (RFC 5082): the peer is at most this many hops away; we send TTL 255 and accept ≥ 256 − hops.",
    ),
  /** TCP-MD5 password (RFC 2385). */
  password: z.string().min(1).max(80).optional().describe("TCP-MD5 password (RFC 2385)."),
  /** Families to negotiate (default: the family of the peer address). */
  families: z
    .array(FamilyName)
    .min(1)
    .optional()
    .describe("Families to negotiate (default: the family of the peer address)."),
  /** Announce and accept ADD-PATH (RFC 7911) for the families: receive, send or both. */
  addPath: z
    .enum(["receive", "send", "both"])
    .optional()
    .describe("Announce and accept ADD-PATH (RFC 7911) for the families: receive, send or both."),
  /** Hold time while waiting for the peer's OPEN after connecting, seconds. */
  openHoldTime: z
    .number()
    .int()
    .min(3)
    .max(65535)
    .default(240)
    .describe("Hold time while waiting for the peer's OPEN after connecting, seconds."),
  /** Damping of reconnects: first and largest wait after a failure, seconds (BIRD `error wait time`). */
  errorWaitTime: z
    .tuple([z.number().min(0), z.number().min(0)])
    .default([1, 60])
    .describe(
      "Damping of reconnects: first and largest wait after a failure, seconds (BIRD `error wait time`).",
    ),
  /** Free-form description shown in status. */
  description: z.string().optional().describe("Free-form description shown in status."),
  /**
   * Graceful restart (RFC 4724) on this session, overriding the speaker's
   * `gracefulRestart`; `false` turns it off for this peer.
   */
  gracefulRestart: z
    .union([z.literal(false), GracefulRestartConfig])
    .optional()
    .describe(
      "Graceful restart (RFC 4724) on this session, overriding the speaker's `gracefulRestart`; `false` turns it off for this peer.",
    ),
};

/** One configured BGP peer. */
export const PeerConfig = z.strictObject({
  /** Peer address (IPv4 or IPv6). */
  address: ip.describe("Peer address (IPv4 or IPv6)."),
  /** TCP port the peer listens on. */
  port: z.number().int().min(1).max(65535).default(179).describe("TCP port the peer listens on."),
  /** The peer's AS number. */
  asn: asn.describe("The peer's AS number."),
  ...sessionOptions,
});
export type PeerConfig = z.infer<typeof PeerConfig>;
export type PeerConfigInput = z.input<typeof PeerConfig>;

/** Accept sessions from any address in a prefix (BIRD `neighbor range`, FRR `bgp listen range`). */
export const DynamicNeighborConfig = z.strictObject({
  prefix: networkPrefix.describe("The range, e.g. 192.0.2.0/24."),
  /** The AS such peers must have, or "internal" (ours) / "external" (any other). */
  asn: z
    .union([asn, z.enum(["internal", "external"])])
    .describe('The AS such peers must have, or "internal" (ours) / "external" (any other).'),
  /** Most sessions from the range at once. */
  limit: z.number().int().min(1).default(100).describe("Most sessions from the range at once."),
  ...sessionOptions,
  passive: z
    .literal(true)
    .default(true)
    .describe("Always true: sessions from a range are accepted, never initiated."),
});
export type DynamicNeighborConfig = z.infer<typeof DynamicNeighborConfig>;
export type DynamicNeighborConfigInput = z.input<typeof DynamicNeighborConfig>;

/** Path attribute codes the codec encodes itself (RFC 4271, 1997, 4456, 4360, 4760, 6793, 8092). */
const KNOWN_ATTRIBUTE_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32]);

/** A prefix the speaker originates, with optional attributes. */
export const OriginateConfig = z.strictObject({
  prefix: networkPrefix.describe("The prefix to announce, host bits clear (198.51.100.0/26)."),
  /** ORIGIN (default igp). */
  origin: z.enum(["igp", "egp", "incomplete"]).default("igp").describe("ORIGIN (default igp)."),
  /** MULTI_EXIT_DISC. */
  med: z.number().int().min(0).max(4294967295).optional().describe("MULTI_EXIT_DISC."),
  /** LOCAL_PREF (iBGP only; default 100). */
  localPref: z
    .number()
    .int()
    .min(0)
    .max(4294967295)
    .optional()
    .describe("LOCAL_PREF (iBGP only; default 100)."),
  /** COMMUNITIES as "asn:value" or well-known names (no-export, no-advertise…). */
  communities: z
    .array(z.string())
    .optional()
    .describe('COMMUNITIES as "asn:value" or well-known names (no-export, no-advertise…).'),
  /** LARGE_COMMUNITIES as "global:local1:local2". */
  largeCommunities: z
    .array(z.string().regex(/^\d+:\d+:\d+$/))
    .optional()
    .describe('LARGE_COMMUNITIES as "global:local1:local2".'),
  /** Explicit next hop (default: the session's local address). */
  nextHop: ip.optional().describe("Explicit next hop (default: the session's local address)."),
  /** AS_PATH (one AS_SEQUENCE) the route starts with; our AS is prepended towards eBGP peers. */
  asPath: z
    .array(asn)
    .optional()
    .describe(
      "AS_PATH as one AS_SEQUENCE, e.g. [64501, 64502] (default empty); our AS is prepended towards eBGP peers.",
    ),
  /** Further path attributes, sent as given (e.g. an optional transitive attribute). */
  rawAttributes: z
    .array(
      z.strictObject({
        code: z
          .number()
          .int()
          .min(1)
          .max(255)
          .refine((c) => !KNOWN_ATTRIBUTE_CODES.has(c), {
            message: "a path attribute the codec knows: use its own field (asPath, med, …)",
          })
          .describe("Attribute type code (one the codec does not know)."),
        flags: z
          .number()
          .int()
          .min(0)
          .max(255)
          .describe("Attribute flags (0xc0: optional transitive)."),
        value: z
          .string()
          .regex(/^([0-9a-fA-F]{2})*$/)
          .describe("Attribute value as hex octets."),
      }),
    )
    .optional()
    .describe(
      "Further path attributes sent as given, each {code, flags, value (hex)}; codes the codec knows are not allowed here.",
    ),
});
export type OriginateConfig = z.infer<typeof OriginateConfig>;
export type OriginateConfigInput = z.input<typeof OriginateConfig>;

/** The whole speaker. */
export const SpeakerConfig = z.strictObject({
  /** Our AS number. */
  asn: asn.describe("Our AS number (1–4294967295)."),
  /** BGP identifier, dotted quad. */
  routerId: z.ipv4().describe("BGP identifier, dotted quad."),
  /** Where to accept sessions; `false` to never listen (active-only). */
  listen: z
    .union([
      z.literal(false),
      z.strictObject({
        address: ip.default("::").describe("Address to listen on (default :: — every address)."),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(179)
          .describe("TCP port to listen on (0: any free port)."),
      }),
    ])
    .default({ address: "::", port: 179 })
    .describe("Where to accept sessions; `false` to never listen (active-only)."),
  /** Network namespace (a name such as \"blue\" — /var/run/netns/blue — or a path) to open sockets in. */
  netns: z
    .string()
    .min(1)
    .transform((n) => (n.includes("/") ? n : `/var/run/netns/${n}`))
    .optional()
    .describe(
      'Network namespace (a name such as "blue" — /var/run/netns/blue — or a path) to open sockets in.',
    ),
  peers: z.array(PeerConfig).default([]).describe("Configured BGP peers."),
  dynamicNeighbors: z
    .array(DynamicNeighborConfig)
    .default([])
    .describe("Ranges from which sessions are accepted without configuring each peer."),
  originate: z
    .array(OriginateConfig)
    .default([])
    .describe("Prefixes announced to every peer that negotiated their family."),
  /** Our cluster id when reflecting routes (RFC 4456 §7); default the router id. */
  clusterId: z
    .ipv4()
    .optional()
    .describe(
      "Route reflection cluster id (RFC 4456 §7), dotted quad; default the router id. Reflection happens for peers with `routeReflectorClient: true`.",
    ),
  /** Compare MED between paths from different neighbour ASes too (BIRD `med metric`). */
  alwaysCompareMed: z
    .boolean()
    .default(false)
    .describe(
      "Compare MED between paths from different neighbour ASes too (BIRD `med metric`, FRR `bgp always-compare-med`); by default only paths from the same neighbour AS are compared (RFC 4271 §9.1.2.2 c).",
    ),
  /** Keep every equal-cost best path (ECMP, RFC 4271 §9.1.2.2 before the router-id step). */
  multipath: z
    .boolean()
    .default(false)
    .describe(
      "ECMP: report every path equal to the best up to the router-id step, so a node agent can install multipath routes (`best-path` events carry all next hops).",
    ),
  /** Changes are coalesced this long before UPDATEs go out, milliseconds. */
  updateDelayMs: z
    .number()
    .int()
    .min(0)
    .max(10000)
    .default(5)
    .describe(
      "Milliseconds route changes are coalesced before UPDATEs are sent (a burst of changes becomes few, full UPDATEs).",
    ),
  /** Graceful restart (RFC 4724) for every peer (absent: not advertised, no helper role). */
  gracefulRestart: GracefulRestartConfig.optional().describe(
    "Graceful restart (RFC 4724) for every peer (absent: not advertised, no helper role).",
  ),
  /**
   * This process is a restart (the node agent found its own routes still in
   * the kernel): the first OPEN to each peer carries the Restart State (R) bit.
   */
  restarting: z
    .boolean()
    .default(false)
    .describe(
      "This process is a restart (the node agent found its own routes still in the kernel): the first OPEN to each peer carries the Restart State (R) bit.",
    ),
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
  const issues: { path: string; message: string }[] = [];
  for (const i of r.error.issues) {
    const at = i.path.map(String);
    if (i.code === "unrecognized_keys") {
      // One issue per key, at the key's own path, with the closest valid name.
      const valid = keysAt(schema, i.path);
      for (const k of i.keys) {
        const near = closest(k, valid);
        issues.push({
          path: [...at, k].join("."),
          message: `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ""}; valid keys: ${valid.join(", ")}`,
        });
      }
    } else issues.push({ path: at.join("."), message: i.message });
  }
  throw new ConfigError(issues);
}

/** The keys of the object schema found at `path` inside `schema` (through arrays, unions, defaults). */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let level: z.core.$ZodType[] = [schema];
  for (let d = 0; d <= path.length; d++) {
    const objects: z.core.$ZodType[] = [];
    const seen = new Set<z.core.$ZodType>();
    const expand = (t: z.core.$ZodType): void => {
      if (seen.has(t)) return;
      seen.add(t);
      const def = t._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === "object") objects.push(t);
      else if (def.type === "union") for (const o of def.options as z.core.$ZodType[]) expand(o);
      else if (def.innerType) expand(def.innerType as z.core.$ZodType);
      else if (def.type === "pipe") expand(def.in as z.core.$ZodType);
      else if (def.type === "array" && d < path.length && typeof path[d] === "number")
        objects.push(t);
    };
    for (const t of level) expand(t);
    if (d === path.length)
      return [
        ...new Set(
          objects.flatMap((o) => {
            const def = o._zod.def as unknown as { type: string; shape?: object };
            return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
          }),
        ),
      ];
    const key = path[d]!;
    level = [];
    for (const o of objects) {
      const def = o._zod.def as unknown as {
        type: string;
        shape?: Record<string, z.core.$ZodType>;
        element?: z.core.$ZodType;
      };
      if (def.type === "array" && def.element) level.push(def.element);
      else if (def.type === "object" && def.shape && typeof key === "string" && def.shape[key])
        level.push(def.shape[key]);
    }
  }
  return [];
}

function canonical(p: string): string {
  const [a, len] = p.split("/");
  try {
    return `${p.includes(":") ? new Address6(a!).correctForm() : new Address4(a!).correctForm()}/${len}`;
  } catch {
    return p;
  }
}

/** The network of a prefix with its host bits cleared, in canonical form. */
export function networkOf(p: string): string | undefined {
  try {
    const len = p.split("/")[1];
    const start = p.includes(":")
      ? new Address6(p).startAddress().correctForm()
      : new Address4(p).startAddress().correctForm();
    return `${start}/${len}`;
  } catch {
    return undefined;
  }
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
