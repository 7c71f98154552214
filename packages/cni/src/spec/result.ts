// Results of ADD (SPEC.md section 5 "ADD Success"), per spec version, and the
// conversions between them.
//
//   version          interfaces[]                      ips[]                        routes[]
//   0.3.0 .. 0.4.0   name mac sandbox                  version address gateway      dst gw
//                                                      interface
//   1.0.0            name mac sandbox                  address gateway interface    dst gw
//   1.1.0            name mac mtu sandbox socketPath   address gateway interface    dst gw mtu advmss
//                    pciID                                                           priority table scope
//
// `Result` below is the canonical form (the 1.1.0 shape, any version label);
// `encodeResult()` writes it as a given version's JSON, `parseResult()` reads
// any supported version's JSON into it.

import * as z from "zod/mini";
import { CniError, ErrorCode } from "./errors.js";
import { type IpFamily, ipFamily, parseCidr } from "./ip.js";
import { compareVersions, hasIpVersionField, isSupportedVersion } from "./versions.js";

/** An interface created by the attachment. */
export interface Interface {
  readonly name: string;
  /** Hardware address, when L2 addresses mean something. */
  readonly mac?: string;
  /** MTU (1.1.0). */
  readonly mtu?: number;
  /** The netns path for interfaces in the container; absent for host interfaces. */
  readonly sandbox?: string;
  /** A socket file belonging to the interface (1.1.0). */
  readonly socketPath?: string;
  /** Platform identifier of the PCI device (1.1.0). */
  readonly pciID?: string;
}

/** An address assigned by the attachment. */
export interface IpConfig {
  /** CIDR, e.g. "192.0.2.10/32". */
  readonly address: string;
  readonly gateway?: string;
  /** Index into `interfaces` (absent in IPAM results). */
  readonly interface?: number;
}

/** A route created by the attachment. */
export interface Route {
  /** Destination CIDR. */
  readonly dst: string;
  readonly gw?: string;
  /** 1.1.0 fields. */
  readonly mtu?: number;
  readonly advmss?: number;
  readonly priority?: number;
  readonly table?: number;
  /** 0 global, 253 link, 254 host. */
  readonly scope?: number;
}

/** DNS settings. */
export interface Dns {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

/** An ADD result in canonical form; `cniVersion` says which version it was read as or is for. */
export interface Result {
  readonly cniVersion: string;
  readonly interfaces?: readonly Interface[];
  readonly ips?: readonly IpConfig[];
  readonly routes?: readonly Route[];
  readonly dns?: Dns;
}

/** `ips[]` as written by versions 0.3.0–0.4.0. */
export interface IpConfig04 extends IpConfig {
  readonly version: IpFamily;
}

/** A result as 0.3.0, 0.3.1 or 0.4.0 JSON. */
export interface Result04 {
  readonly cniVersion: "0.3.0" | "0.3.1" | "0.4.0";
  readonly interfaces?: readonly Pick<Interface, "name" | "mac" | "sandbox">[];
  readonly ips?: readonly IpConfig04[];
  readonly routes?: readonly Pick<Route, "dst" | "gw">[];
  readonly dns?: Dns;
}

/** A result as 1.0.0 JSON. */
export interface Result100 {
  readonly cniVersion: "1.0.0";
  readonly interfaces?: readonly Pick<Interface, "name" | "mac" | "sandbox">[];
  readonly ips?: readonly IpConfig[];
  readonly routes?: readonly Pick<Route, "dst" | "gw">[];
  readonly dns?: Dns;
}

/** A result as 1.1.0 JSON: the canonical form. */
export interface Result110 extends Result {
  readonly cniVersion: "1.1.0";
}

/** A result in the JSON shape of its version. */
export type VersionedResult = Result04 | Result100 | Result110;

const uint = z.int().check(z.nonnegative());
const cidr = z.string().check(z.refine((s) => parseCidr(s) !== undefined, "not a CIDR"));
const ip = z.string().check(z.refine((s) => ipFamily(s) !== undefined, "not an IP address"));
const optionalStrings = z.optional(z.array(z.string()));

const dnsSchema = z.object({
  nameservers: optionalStrings,
  domain: z.optional(z.string()),
  search: optionalStrings,
  options: optionalStrings,
});

const resultSchema = z.object({
  cniVersion: z.string(),
  interfaces: z.optional(
    z.array(
      z.object({
        name: z.string(),
        mac: z.optional(z.string()),
        mtu: z.optional(uint),
        sandbox: z.optional(z.string()),
        socketPath: z.optional(z.string()),
        pciID: z.optional(z.string()),
      }),
    ),
  ),
  ips: z.optional(
    z.array(
      z.object({
        version: z.optional(z.enum(["4", "6"])),
        address: cidr,
        gateway: z.optional(ip),
        interface: z.optional(uint),
      }),
    ),
  ),
  routes: z.optional(
    z.array(
      z.object({
        dst: cidr,
        gw: z.optional(ip),
        mtu: z.optional(uint),
        advmss: z.optional(uint),
        priority: z.optional(uint),
        table: z.optional(uint),
        scope: z.optional(uint),
      }),
    ),
  ),
  dns: z.optional(dnsSchema),
});

/** What a failed validation reports: zod's issues. */
export interface ValidationIssues {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

/** Formats zod issues as "path: message; …". */
export function describeIssues(e: ValidationIssues): string {
  return e.issues
    .map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * Reads a result of any supported version into canonical form. Throws
 * CniError code 6 when `json` is not a result, code 1 when its version is
 * not supported. The `version` of 0.x `ips` is checked against the address.
 */
export function parseResult(json: unknown): Result {
  const r = resultSchema.safeParse(json);
  if (!r.success) {
    throw new CniError(ErrorCode.DecodingFailure, "invalid result", describeIssues(r.error));
  }
  const v = r.data.cniVersion;
  if (!isSupportedVersion(v)) {
    throw new CniError(ErrorCode.IncompatibleCniVersion, `unsupported result version "${v}"`);
  }
  const ips = r.data.ips?.map((x) => {
    const fam = parseCidr(x.address)!.family;
    if (x.version !== undefined && x.version !== fam) {
      throw new CniError(
        ErrorCode.DecodingFailure,
        "invalid result",
        `ips: version "${x.version}" does not match address ${x.address}`,
      );
    }
    return dropUndefined({ address: x.address, gateway: x.gateway, interface: x.interface });
  });
  return dropUndefined({
    cniVersion: v,
    interfaces: r.data.interfaces?.map(dropUndefined),
    ips,
    routes: r.data.routes?.map(dropUndefined),
    dns: r.data.dns ? dropUndefined(r.data.dns) : undefined,
  });
}

/**
 * Writes a canonical result as the JSON of spec version `version`: 0.x
 * results gain `ips[].version`; versions before 1.1.0 lose the 1.1.0-only
 * fields of interfaces and routes. Throws CniError code 1 for unsupported
 * versions.
 */
export function encodeResult(result: Result, version: string): VersionedResult {
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      `cannot convert a result to version "${version}"`,
    );
  }
  const is110 = compareVersions(version, "1.1.0") >= 0;
  const interfaces = result.interfaces?.map((i) =>
    is110
      ? dropUndefined({ ...i })
      : dropUndefined({ name: i.name, mac: i.mac, sandbox: i.sandbox }),
  );
  const ips = result.ips?.map((x) => {
    const base = dropUndefined({ address: x.address, gateway: x.gateway, interface: x.interface });
    if (!hasIpVersionField(version)) return base;
    const family = parseCidr(x.address)?.family;
    if (!family) throw new TypeError(`not a CIDR: ${x.address}`);
    return { version: family, ...base };
  });
  const routes = result.routes?.map((r) =>
    is110 ? dropUndefined({ ...r }) : dropUndefined({ dst: r.dst, gw: r.gw }),
  );
  return dropUndefined({
    cniVersion: version,
    interfaces,
    ips,
    routes,
    dns: result.dns,
  }) as VersionedResult;
}

/** Converts a result (in any supported version's JSON) to another version's JSON. */
export function convertResult(json: unknown, toVersion: string): VersionedResult {
  return encodeResult(parseResult(json), toVersion);
}
