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

const schema = z.object({
  mtu: z._default(z.int().check(z.gte(68), z.lte(65535)), 1500),
  vethPrefix: z._default(
    z.string().check(z.regex(/^[a-z][a-z0-9]{0,10}$/, "1 to 11 lower-case letters and digits")),
    "cali",
  ),
  dataDir: z._default(
    z.string().check(z.startsWith("/", "must be an absolute path")),
    "/var/lib/cni/tortie",
  ),
  nodename: z.optional(z.string().check(z.minLength(1))),
  logFile: z.optional(z.string().check(z.startsWith("/", "must be an absolute path"))),
  ipam: z.looseObject({ type: z.string().check(z.minLength(1)) }, { error: "is required" }),
  datastore: z.optional(
    z.discriminatedUnion("type", [
      z.object({ type: z.literal("sqlite"), path: z.string().check(z.startsWith("/")) }),
      z.object({
        type: z.literal("etcd"),
        endpoints: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
        prefix: z.optional(z.string()),
      }),
    ]),
  ),
});

/** Reads the plugin's keys from a parsed request configuration; code 7 when invalid. */
export function parseTortieConfig(cfg: PluginConfig): TortieConfig {
  const r = schema.safeParse(cfg.raw);
  if (!r.success) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid tortie configuration: ${describeIssues(r.error)}`,
    );
  }
  const d = r.data;
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
