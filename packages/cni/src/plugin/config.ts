// The Tortie plugin's own configuration keys (beside the spec's `name`,
// `type`, `ipam`, `dns`):
//
//   { "cniVersion": "1.1.0", "name": "pods", "type": "tortie",
//     "mtu": 1500,                      // both veth ends (default 1500)
//     "vethPrefix": "cali",             // host veth names (default "cali")
//     "dataDir": "/var/lib/cni/tortie", // attachment records for DEL and GC
//     "nodename": "node1",              // default: the host name
//     "logFile": "/var/log/tortie/cni.log", // the plugin's and IPAM's errors (optional)
//     "ipam": { "type": "host-local", … } | { "type": "tortie", … },
//     "datastore": { "type": "sqlite", "path": "/var/lib/tortie/store.db" }
//                | { "type": "etcd", "endpoints": ["http://127.0.0.1:2379"] } }
//
// Strictness: the keys SPEC.md (CNI 1.1) defines for every plugin stay
// accepted (section 1 "Plugin configuration objects": type, capabilities,
// ipMasq, ipam, dns; the reserved runtimeConfig, args and every `cni.dev/`
// key; section 3 adds name, cniVersion, prevResult to the request). Every
// other top-level key is the plugin's own and must be one of the keys above;
// so must the keys of `datastore` and of an `ipam` section of type "tortie".
// A delegated IPAM section (any other type) belongs to that plugin and is
// passed on untouched. An unknown key is code 7 naming the key, its path and
// the closest valid name.

import { closest } from "@tortie/api";
import * as z from "zod/mini";
import type { PluginConfig } from "../spec/config.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { describeIssues } from "../spec/result.js";

/** Where the workload endpoint records go. */
export type DatastoreConfig =
  | { readonly type: "sqlite"; readonly path: string }
  | { readonly type: "etcd"; readonly endpoints: readonly string[]; readonly prefix?: string };

/** The Tortie plugin's configuration, validated, with defaults. */
export interface TortieConfig {
  readonly mtu: number;
  readonly vethPrefix: string;
  readonly dataDir: string;
  readonly nodename?: string;
  readonly ipamType: string;
  readonly datastore?: DatastoreConfig;
  /** Where the plugin's and its IPAM plugin's error output is appended. */
  readonly logFile?: string;
}

/**
 * Keys the CNI 1.1 specification defines for any plugin's configuration or
 * request (SPEC.md sections 1 and 3, and the network-level keys a single
 * `.conf` file may carry). Keys starting with {@link CNI_RESERVED_PREFIX} are
 * reserved too.
 */
export const CNI_SPEC_KEYS: readonly string[] = [
  "cniVersion",
  "cniVersions",
  "name",
  "type",
  "capabilities",
  "ipMasq",
  "ipam",
  "dns",
  "runtimeConfig",
  "args",
  "prevResult",
  "disableCheck",
  "disableGC",
  "loadOnlyInlinedPlugins",
];

/** SPEC.md section 1: "Any keys starting with `cni.dev/`" are reserved by the protocol. */
export const CNI_RESERVED_PREFIX = "cni.dev/";

const absolute = z.string().check(z.startsWith("/", "must be an absolute path"));

const sqliteSchema = z.object({
  type: z.literal("sqlite").check(z.describe("SQLite store on this host")),
  path: absolute.check(z.describe("absolute path of the SQLite database file")),
});
const etcdSchema = z.object({
  type: z.literal("etcd").check(z.describe("etcd v3 cluster")),
  endpoints: z
    .array(z.string().check(z.minLength(1)))
    .check(z.minLength(1), z.describe("etcd client URLs, e.g. http://127.0.0.1:2379")),
  prefix: z.optional(z.string()).check(z.describe("key prefix of Tortie's records in etcd")),
});

/** The keys of each `datastore` type. */
const DATASTORE_KEYS: Record<string, readonly string[]> = {
  sqlite: Object.keys(sqliteSchema.shape),
  etcd: Object.keys(etcdSchema.shape),
};

const boolish = z.union([z.boolean(), z.enum(["true", "false"])]);
const pools = z.array(z.string().check(z.minLength(1)));

/** `"ipam": {"type": "tortie", …}`: in-process allocation from @tortie/ipam. */
export const tortieIpamSchema = z.object({
  type: z.literal("tortie").check(z.describe('"tortie": allocate in-process from @tortie/ipam')),
  assign_ipv4: z.optional(boolish).check(z.describe("give the pod an IPv4 address (default true)")),
  assign_ipv6: z
    .optional(boolish)
    .check(z.describe("give the pod an IPv6 address (default false)")),
  ipv4_pools: z
    .optional(pools)
    .check(z.describe("IPv4 pools to allocate from, by name or CIDR (default: all enabled)")),
  ipv6_pools: z
    .optional(pools)
    .check(z.describe("IPv6 pools to allocate from, by name or CIDR (default: all enabled)")),
});

const TORTIE_IPAM_KEYS: readonly string[] = Object.keys(tortieIpamSchema.shape);

/** The plugin's own keys, with their meaning, default and unit. */
export const tortieConfigSchema = z.object({
  mtu: z
    ._default(z.int().check(z.gte(68), z.lte(65535)), 1500)
    .check(z.describe("MTU of both veth ends, in bytes, 68 to 65535 (default 1500)")),
  vethPrefix: z
    ._default(
      z.string().check(z.regex(/^[a-z][a-z0-9]{0,10}$/, "1 to 11 lower-case letters and digits")),
      "cali",
    )
    .check(z.describe('prefix of the host-side veth names (default "cali")')),
  dataDir: z
    ._default(absolute, "/var/lib/cni/tortie")
    .check(
      z.describe(
        "absolute directory of attachment records and locks (default /var/lib/cni/tortie)",
      ),
    ),
  nodename: z
    .optional(z.string().check(z.minLength(1)))
    .check(z.describe("the node whose blocks and endpoints the pods use (default: the host name)")),
  logFile: z
    .optional(absolute)
    .check(z.describe("absolute file the plugin's and IPAM's failures are appended to (optional)")),
  ipam: z
    .looseObject({ type: z.string().check(z.minLength(1)) }, { error: "is required" })
    .check(
      z.describe(
        '"tortie" (see tortieIpamSchema) or any other CNI IPAM plugin, run as delegated IPAM',
      ),
    ),
  datastore: z
    .optional(z.discriminatedUnion("type", [sqliteSchema, etcdSchema]))
    .check(z.describe("where workload endpoints (and tortie IPAM's pools) are kept")),
});

/** The plugin's own top-level keys. */
export const TORTIE_CONFIG_KEYS: readonly string[] = Object.keys(tortieConfigSchema.shape);

/** One key the configuration does not know. */
export interface UnknownKey {
  /** Dotted path of the key, e.g. `ipam.assign_ip4`. */
  readonly path: string;
  readonly key: string;
  /** The closest valid name, if one is a plausible typo. */
  readonly suggestion?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unknownIn(
  obj: Record<string, unknown>,
  valid: readonly string[],
  at: string,
  out: UnknownKey[],
  allowed: (k: string) => boolean = () => false,
): void {
  for (const key of Object.keys(obj)) {
    if (valid.includes(key) || allowed(key)) continue;
    const suggestion = closest(key, valid);
    out.push({ path: at ? `${at}.${key}` : key, key, ...(suggestion ? { suggestion } : {}) });
  }
}

/**
 * The keys of a request configuration that neither the CNI spec nor the
 * Tortie plugin defines: top level, `datastore` (per its type) and an `ipam`
 * section of type "tortie". A delegated IPAM section is not looked into.
 */
export function unknownKeys(raw: Readonly<Record<string, unknown>>): UnknownKey[] {
  const out: UnknownKey[] = [];
  unknownIn(raw, [...TORTIE_CONFIG_KEYS, ...CNI_SPEC_KEYS], "", out, (k) =>
    k.startsWith(CNI_RESERVED_PREFIX),
  );
  const ds = raw.datastore;
  if (isObject(ds) && typeof ds.type === "string" && ds.type in DATASTORE_KEYS) {
    unknownIn(ds, DATASTORE_KEYS[ds.type]!, "datastore", out);
  }
  const ipam = raw.ipam;
  if (isObject(ipam) && ipam.type === "tortie") unknownIn(ipam, TORTIE_IPAM_KEYS, "ipam", out);
  return out;
}

/** One line per unknown key: `unknown key "nodeName" at nodeName (did you mean "nodename"?)`. */
export function describeUnknownKey(u: UnknownKey): string {
  return `unknown key "${u.key}" at ${u.path}${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ""}`;
}

/** Reads the plugin's keys from a parsed request configuration; code 7 when invalid. */
export function parseTortieConfig(cfg: PluginConfig): TortieConfig {
  const unknown = unknownKeys(cfg.raw);
  if (unknown.length > 0) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid tortie configuration: ${unknown.map(describeUnknownKey).join("; ")}`,
      `valid keys: ${TORTIE_CONFIG_KEYS.join(", ")}, and the CNI spec's ${CNI_SPEC_KEYS.join(", ")}, ${CNI_RESERVED_PREFIX}*`,
    );
  }
  const r = tortieConfigSchema.safeParse(cfg.raw);
  if (!r.success) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid tortie configuration: ${describeIssues(r.error)}`,
    );
  }
  const d = r.data;
  if (d.ipam.type === "tortie") {
    const i = tortieIpamSchema.safeParse(d.ipam);
    if (!i.success) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `invalid tortie configuration: ${describeIssues({
          issues: i.error.issues.map((x) => ({ ...x, path: ["ipam", ...x.path] })),
        })}`,
      );
    }
  }
  return {
    mtu: d.mtu,
    vethPrefix: d.vethPrefix,
    dataDir: d.dataDir,
    ...(d.nodename ? { nodename: d.nodename } : {}),
    ipamType: d.ipam.type,
    ...(d.datastore ? { datastore: d.datastore } : {}),
    ...(d.logFile ? { logFile: d.logFile } : {}),
  };
}

/** The Tortie plugin's own error codes (spec: 100 and above belong to plugins). */
export const TortieErrorCode = {
  /** Creating or removing links, addresses, routes or sysctls failed. */
  Dataplane: 100,
  /** IPAM gave no usable address. */
  Ipam: 101,
  /** The datastore could not be written or read. */
  Datastore: 102,
  /** CHECK found the attachment not as ADD left it. */
  CheckFailed: 103,
  /** The interface named CNI_IFNAME already exists in the container. */
  InterfaceExists: 104,
  /** The ADD gave way to a DEL of the same attachment, or its caller went away; it left nothing. */
  Superseded: 105,
} as const;
