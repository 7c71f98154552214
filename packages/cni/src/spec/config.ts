// Network configurations (SPEC.md section 1 "Network configuration format")
// and the request configuration a plugin receives on stdin (section 3
// "Deriving request configuration from plugin configuration").
//
//   network configuration (on disk)        request configuration (plugin stdin)
//   { cniVersion, cniVersions?, name,      { cniVersion: selected, name,
//     disableCheck?, disableGC?,             type, …plugin's own keys…,
//     loadOnlyInlinedPlugins?,               runtimeConfig?, prevResult?,
//     plugins: [ { type, capabilities?,      "cni.dev/valid-attachments"? (GC) }
//                  …plugin keys… } ] }
//
// Unknown keys of plugin objects are kept: the runtime must pass them through.

import * as z from "zod/mini";
import { CniError, ErrorCode } from "./errors.js";
import { describeIssues, parseResult, type Result } from "./result.js";
import { compareVersions, SUPPORTED_VERSIONS, selectVersion } from "./versions.js";

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

/** The `ipam` section: at least a plugin type. */
export interface IpamConfig extends JsonObject {
  readonly type: string;
}

/** The well-known `dns` section. */
export interface DnsConfig {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

/** One attachment that is still valid, as GC receives them. */
export interface Attachment {
  readonly containerID: string;
  readonly ifname: string;
}

/** The key of GC's list of valid attachments. */
export const VALID_ATTACHMENTS_KEY = "cni.dev/valid-attachments";

/** A plugin's request configuration as read from stdin. */
export interface PluginConfig {
  /** The whole object as received, unknown keys included. */
  readonly raw: Readonly<JsonObject>;
  readonly cniVersion: string;
  readonly name: string;
  readonly type: string;
  readonly ipam?: IpamConfig;
  readonly dns?: DnsConfig;
  readonly ipMasq?: boolean;
  /** Capability arguments the runtime filled in. */
  readonly runtimeConfig: Readonly<JsonObject>;
  /** The `args` convention object, if present. */
  readonly args?: Readonly<JsonObject>;
  /** The previous result, parsed (raw JSON stays in `raw.prevResult`). */
  readonly prevResult?: Result;
  /** GC: attachments still valid. */
  readonly validAttachments?: readonly Attachment[];
}

/** One entry of a list's `plugins`. */
export interface PluginEntry extends JsonObject {
  readonly type: string;
  readonly capabilities?: Readonly<Record<string, boolean>>;
}

/** A network configuration (a list of plugins). */
export interface NetworkConfigList {
  readonly cniVersion: string;
  readonly cniVersions?: readonly string[];
  readonly name: string;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly loadOnlyInlinedPlugins: boolean;
  readonly plugins: readonly PluginEntry[];
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const name = z
  .string({ error: "is required" })
  .check(z.regex(NAME_RE, "must start with an alphanumeric, then alphanumerics, '_', '.', '-'"));
const type = z.string({ error: "is required" }).check(
  z.minLength(1, "must not be empty"),
  z.refine((s) => !/[/\\]/.test(s), "must not contain '/' or '\\'"),
);
const strings = z.optional(z.array(z.string()));
const dns = z.object({
  nameservers: strings,
  domain: z.optional(z.string()),
  search: strings,
  options: strings,
});
const ipam = z.looseObject({ type });
const jsonObject = z.record(z.string(), z.unknown());

const pluginConfigSchema = z.looseObject({
  cniVersion: z.optional(z.string()),
  name,
  type,
  ipam: z.optional(ipam),
  dns: z.optional(dns),
  ipMasq: z.optional(z.boolean()),
  runtimeConfig: z.optional(jsonObject),
  args: z.optional(jsonObject),
  prevResult: z.optional(z.unknown()),
  [VALID_ATTACHMENTS_KEY]: z.optional(
    z.array(z.object({ containerID: z.string(), ifname: z.string() })),
  ),
});

const pluginEntrySchema = z.looseObject({
  type,
  capabilities: z.optional(z.record(z.string(), z.boolean())),
});

const listSchema = z.looseObject({
  cniVersion: z.string({ error: "is required" }),
  cniVersions: strings,
  name,
  disableCheck: z.optional(z.boolean()),
  disableGC: z.optional(z.boolean()),
  loadOnlyInlinedPlugins: z.optional(z.boolean()),
  plugins: z.array(pluginEntrySchema).check(z.minLength(1, "must name at least one plugin")),
});

/**
 * Parses JSON text; an empty or malformed document is CniError code 6
 * ("Failed to decode content").
 */
export function parseJsonText(text: string, what = "configuration"): unknown {
  if (text.trim() === "") throw new CniError(ErrorCode.DecodingFailure, `empty ${what}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `failed to decode ${what}`, (e as Error).message);
  }
}

function asObject(v: unknown, what: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new CniError(ErrorCode.DecodingFailure, `${what} is not a JSON object`);
  }
  return v as JsonObject;
}

/**
 * Reads a plugin's request configuration (text or already-parsed JSON).
 * Decoding problems are code 6, missing or invalid fields code 7. A missing
 * `cniVersion` reads as "0.1.0", as the reference libraries do.
 */
export function parsePluginConfig(input: string | unknown): PluginConfig {
  const raw = asObject(typeof input === "string" ? parseJsonText(input) : input, "configuration");
  const r = pluginConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid network configuration: ${describeIssues(r.error)}`,
    );
  }
  const d = r.data;
  const cniVersion = d.cniVersion ?? "0.1.0";
  let prevResult: Result | undefined;
  if (d.prevResult !== undefined && d.prevResult !== null) {
    try {
      // a prevResult without its own version is in the configuration's version
      const pr = asObject(d.prevResult, "prevResult");
      prevResult = parseResult({ cniVersion, ...pr });
    } catch (e) {
      if (e instanceof CniError && e.code === ErrorCode.DecodingFailure) {
        throw new CniError(
          ErrorCode.InvalidNetworkConfig,
          "invalid prevResult",
          e.details ?? e.message,
        );
      }
      throw e;
    }
  }
  const out: PluginConfig = {
    raw,
    cniVersion,
    name: d.name,
    type: d.type,
    runtimeConfig: d.runtimeConfig ?? {},
    ...(d.ipam ? { ipam: d.ipam as IpamConfig } : {}),
    ...(d.dns ? { dns: d.dns } : {}),
    ...(d.ipMasq !== undefined ? { ipMasq: d.ipMasq } : {}),
    ...(d.args ? { args: d.args } : {}),
    ...(prevResult ? { prevResult } : {}),
    ...(d[VALID_ATTACHMENTS_KEY] ? { validAttachments: d[VALID_ATTACHMENTS_KEY] } : {}),
  };
  return out;
}

/**
 * Reads a network configuration: a list (with `plugins`) or a single plugin
 * configuration (the pre-1.0 `.conf` form), which becomes a one-plugin list.
 * Codes: 6 for bad JSON, 7 for invalid content.
 */
export function parseNetworkConfig(input: string | unknown): NetworkConfigList {
  const raw = asObject(typeof input === "string" ? parseJsonText(input) : input, "configuration");
  if (!("plugins" in raw)) {
    const single = parsePluginConfig({ ...raw });
    const { cniVersion: _v, name: _n, ...plugin } = raw;
    return {
      cniVersion: single.cniVersion,
      name: single.name,
      disableCheck: false,
      disableGC: false,
      loadOnlyInlinedPlugins: false,
      plugins: [plugin as PluginEntry],
    };
  }
  const r = listSchema.safeParse(raw);
  if (!r.success) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid network configuration list: ${describeIssues(r.error)}`,
    );
  }
  const d = r.data;
  if (d.loadOnlyInlinedPlugins === true && d.plugins.length === 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, "loadOnlyInlinedPlugins needs plugins");
  }
  return {
    cniVersion: d.cniVersion,
    ...(d.cniVersions ? { cniVersions: d.cniVersions } : {}),
    name: d.name,
    disableCheck: d.disableCheck ?? false,
    disableGC: d.disableGC ?? false,
    loadOnlyInlinedPlugins: d.loadOnlyInlinedPlugins ?? false,
    plugins: d.plugins as PluginEntry[],
  };
}

/**
 * The version a runtime uses for a list: the highest of `cniVersion` and
 * `cniVersions` that `supported` contains. Code 1 when there is none.
 */
export function listVersion(
  list: NetworkConfigList,
  supported: readonly string[] = SUPPORTED_VERSIONS,
): string {
  const offered = [list.cniVersion, ...(list.cniVersions ?? [])];
  const v = selectVersion(offered, supported);
  if (v === undefined) {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      "incompatible CNI versions",
      `configuration offers [${offered.join(", ")}], supported are [${supported.join(", ")}]`,
    );
  }
  return v;
}

/** What the runtime supplies when deriving a request configuration. */
export interface DeriveOptions {
  /** The selected protocol version. */
  readonly cniVersion: string;
  /** Capability arguments the runtime offers (portMappings, bandwidth, mac, …). */
  readonly capabilityArgs?: Readonly<JsonObject>;
  /** The previous result JSON (not for the first ADD of a chain). */
  readonly prevResult?: unknown;
  /** For GC: the attachments still valid. */
  readonly validAttachments?: readonly Attachment[];
}

/**
 * Derives the request configuration of one plugin of a list (SPEC.md section
 * 3): inserts `cniVersion` and `name`; for attachment verbs `runtimeConfig`
 * (the capabilities both the plugin declares and the runtime offers) and
 * `prevResult`; for GC `cni.dev/valid-attachments`. Drops `capabilities` and
 * any other `cni.dev/` keys; passes every other key through.
 */
export function deriveRequestConfig(
  list: Pick<NetworkConfigList, "name">,
  plugin: PluginEntry,
  opts: DeriveOptions,
): JsonObject {
  const out: JsonObject = { cniVersion: opts.cniVersion, name: list.name };
  for (const [k, v] of Object.entries(plugin)) {
    if (k === "capabilities" || k === "runtimeConfig" || k.startsWith("cni.dev/")) continue;
    if (k === "cniVersion" || k === "name" || k === "prevResult") continue;
    out[k] = v;
  }
  if (opts.validAttachments) {
    out[VALID_ATTACHMENTS_KEY] = opts.validAttachments.map((a) => ({
      containerID: a.containerID,
      ifname: a.ifname,
    }));
    return out;
  }
  const rc: JsonObject = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
    if (on && opts.capabilityArgs && cap in opts.capabilityArgs) rc[cap] = opts.capabilityArgs[cap];
  }
  if (Object.keys(rc).length > 0) out.runtimeConfig = rc;
  if (opts.prevResult !== undefined) out.prevResult = opts.prevResult;
  return out;
}

/** True when the configuration's version is at least `v`. */
export function configAtLeast(cfg: Pick<PluginConfig, "cniVersion">, v: string): boolean {
  return compareVersions(cfg.cniVersion, v) >= 0;
}
