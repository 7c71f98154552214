// Validation of a BGPFilter resource (Calico projectcalico.org/v3) from
// untrusted input (YAML/JSON already parsed): strict — an unknown key is an
// error naming its path and the closest valid key — and with Calico's own
// rules (cidr and matchOperator together; prefixLength needs cidr;
// operations only with Accept, exactly one field each, at most 10; one
// community value in `aa:nn` or `aa:nn:mm` form; priorities 1…2147483646).

import { parseSubnet, type Subnet } from "../rib/addr.js";
import { BgpFilterError, closestName } from "./errors.js";
import type { BgpFilter, FilterOperation, FilterRule } from "./types.js";

type Obj = Record<string, unknown>;

const TOP_KEYS = ["apiVersion", "kind", "metadata", "spec"] as const;
const SPEC_KEYS = ["exportV4", "importV4", "exportV6", "importV6"] as const;
const RULE_KEYS = [
  "cidr",
  "matchOperator",
  "prefixLength",
  "source",
  "interface",
  "peerType",
  "communities",
  "asPathPrefix",
  "priority",
  "action",
  "operations",
] as const;
const OP_KEYS = ["addCommunity", "prependASPath", "setPriority"] as const;
const MAX_PRIORITY = 2147483646;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new BgpFilterError(path, "must be an object");
  return v;
}

function strict(o: Obj, keys: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k))
      throw new BgpFilterError(`${path}.${k}`, "unknown field", closestName(k, keys));
  }
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new BgpFilterError(path, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== "string" || !values.includes(v as T)) {
    const hint = typeof v === "string" ? closestName(v, values) : undefined;
    throw new BgpFilterError(path, `must be one of ${values.join(", ")}`, hint);
  }
  return v as T;
}

/** Parses an AS number: an integer, decimal text, or asdot `x.y` (RFC 5396). */
export function parseAsNumber(v: unknown, path: string): number {
  if (typeof v === "number") return int(v, path, 0, 4294967295);
  if (typeof v === "string") {
    if (/^\d{1,10}$/.test(v)) return int(Number(v), path, 0, 4294967295);
    const m = /^(\d{1,5})\.(\d{1,5})$/.exec(v);
    if (m) return int(Number(m[1]), path, 0, 65535) * 65536 + int(Number(m[2]), path, 0, 65535);
  }
  throw new BgpFilterError(path, "must be an AS number (integer, or asdot x.y)");
}

/** A community value: standard `aa:nn` (16-bit parts) or large `aa:nn:mm` (32-bit parts). */
export type CommunityValue =
  | { readonly kind: "standard"; readonly value: number }
  | {
      readonly kind: "large";
      readonly global: number;
      readonly local1: number;
      readonly local2: number;
    };

/** Parses `aa:nn` or `aa:nn:mm`. */
export function parseCommunity(v: unknown, path: string): CommunityValue {
  if (typeof v === "string") {
    const parts = v.split(":");
    if (parts.every((p) => /^\d{1,10}$/.test(p))) {
      const n = parts.map(Number);
      if (n.length === 2 && n[0]! <= 0xffff && n[1]! <= 0xffff)
        return { kind: "standard", value: n[0]! * 0x10000 + n[1]! };
      if (n.length === 3 && n.every((x) => x <= 0xffffffff))
        return { kind: "large", global: n[0]!, local1: n[1]!, local2: n[2]! };
    }
  }
  throw new BgpFilterError(
    path,
    'must be a community "aa:nn" (0-65535 each) or a large community "aa:nn:mm" (0-4294967295 each)',
  );
}

function cidrOf(v: unknown, path: string, family: 4 | 6): Subnet {
  if (typeof v !== "string" || !v.includes("/"))
    throw new BgpFilterError(path, "must be a CIDR such as 192.0.2.0/24");
  let s: Subnet;
  try {
    s = parseSubnet(v);
  } catch {
    throw new BgpFilterError(path, `not a CIDR: ${JSON.stringify(v)}`);
  }
  if ((s.bytes.length === 4 ? 4 : 6) !== family)
    throw new BgpFilterError(path, `must be an IPv${family} CIDR`);
  return s;
}

function operation(v: unknown, path: string): FilterOperation {
  const o = obj(v, path);
  strict(o, OP_KEYS, path);
  const set = OP_KEYS.filter((k) => o[k] !== undefined);
  if (set.length !== 1)
    throw new BgpFilterError(
      path,
      "exactly one of addCommunity, prependASPath, setPriority must be set",
    );
  if (o.addCommunity !== undefined) {
    const a = obj(o.addCommunity, `${path}.addCommunity`);
    strict(a, ["value"], `${path}.addCommunity`);
    parseCommunity(a.value, `${path}.addCommunity.value`);
    return { addCommunity: { value: a.value as string } };
  }
  if (o.prependASPath !== undefined) {
    const p = obj(o.prependASPath, `${path}.prependASPath`);
    strict(p, ["prefix"], `${path}.prependASPath`);
    if (!Array.isArray(p.prefix) || p.prefix.length < 1 || p.prefix.length > 10) {
      throw new BgpFilterError(
        `${path}.prependASPath.prefix`,
        "must be a list of 1 to 10 AS numbers",
      );
    }
    return {
      prependASPath: {
        prefix: p.prefix.map((x, i) => parseAsNumber(x, `${path}.prependASPath.prefix[${i}]`)),
      },
    };
  }
  const s = obj(o.setPriority, `${path}.setPriority`);
  strict(s, ["value"], `${path}.setPriority`);
  return { setPriority: { value: int(s.value, `${path}.setPriority.value`, 1, MAX_PRIORITY) } };
}

function rule(v: unknown, path: string, family: 4 | 6): FilterRule {
  const o = obj(v, path);
  strict(o, RULE_KEYS, path);
  const max = family === 4 ? 32 : 128;
  const out: { -readonly [K in keyof FilterRule]: FilterRule[K] } = {
    action: oneOf(o.action, `${path}.action`, ["Accept", "Reject"] as const),
  };
  const hasCidr = o.cidr !== undefined && o.cidr !== "";
  const hasOp = o.matchOperator !== undefined && o.matchOperator !== "";
  if (hasCidr !== hasOp)
    throw new BgpFilterError(path, "cidr and matchOperator must both be set or both be empty");
  if (hasCidr) {
    const s = cidrOf(o.cidr, `${path}.cidr`, family);
    out.cidr = o.cidr as string;
    out.matchOperator = oneOf(o.matchOperator, `${path}.matchOperator`, [
      "Equal",
      "NotEqual",
      "In",
      "NotIn",
    ] as const);
    if (o.prefixLength !== undefined) {
      const pl = obj(o.prefixLength, `${path}.prefixLength`);
      strict(pl, ["min", "max"], `${path}.prefixLength`);
      if (out.matchOperator === "Equal" || out.matchOperator === "NotEqual") {
        throw new BgpFilterError(
          `${path}.prefixLength`,
          `applies only with matchOperator In or NotIn, not ${out.matchOperator}`,
        );
      }
      const min =
        pl.min === undefined ? undefined : int(pl.min, `${path}.prefixLength.min`, 0, max);
      const mx = pl.max === undefined ? undefined : int(pl.max, `${path}.prefixLength.max`, 0, max);
      const effMin = Math.max(s.length, min ?? 0);
      const effMax = Math.min(max, mx ?? max);
      if (effMin > effMax) {
        throw new BgpFilterError(
          `${path}.prefixLength`,
          `matches no prefix: lengths ${effMin}..${effMax} within ${out.cidr}`,
        );
      }
      out.prefixLength = {
        ...(min !== undefined ? { min } : {}),
        ...(mx !== undefined ? { max: mx } : {}),
      };
    }
  } else if (o.prefixLength !== undefined) {
    throw new BgpFilterError(`${path}.prefixLength`, "cidr is required when prefixLength is set");
  }
  if (o.source !== undefined && o.source !== "")
    out.source = oneOf(o.source, `${path}.source`, ["RemotePeers"] as const);
  if (o.interface !== undefined && o.interface !== "") {
    if (typeof o.interface !== "string" || !/^[A-Za-z0-9_.:@*?+-]{1,64}$/.test(o.interface)) {
      throw new BgpFilterError(
        `${path}.interface`,
        "must be an interface name or pattern (letters, digits, _ . : @ + -, wildcards * ?)",
      );
    }
    out.interface = o.interface;
  }
  if (o.peerType !== undefined && o.peerType !== "")
    out.peerType = oneOf(o.peerType, `${path}.peerType`, ["eBGP", "iBGP"] as const);
  if (o.communities !== undefined) {
    const c = obj(o.communities, `${path}.communities`);
    strict(c, ["values"], `${path}.communities`);
    if (!Array.isArray(c.values) || c.values.length !== 1) {
      throw new BgpFilterError(
        `${path}.communities.values`,
        "must hold exactly one community value",
      );
    }
    parseCommunity(c.values[0], `${path}.communities.values[0]`);
    out.communities = { values: [c.values[0] as string] };
  }
  if (o.asPathPrefix !== undefined) {
    if (!Array.isArray(o.asPathPrefix))
      throw new BgpFilterError(`${path}.asPathPrefix`, "must be a list of AS numbers");
    if (o.asPathPrefix.length > 0)
      out.asPathPrefix = o.asPathPrefix.map((x, i) =>
        parseAsNumber(x, `${path}.asPathPrefix[${i}]`),
      );
  }
  if (o.priority !== undefined) out.priority = int(o.priority, `${path}.priority`, 1, MAX_PRIORITY);
  if (o.operations !== undefined) {
    if (!Array.isArray(o.operations) || o.operations.length < 1 || o.operations.length > 10) {
      throw new BgpFilterError(`${path}.operations`, "must be a list of 1 to 10 operations");
    }
    if (out.action !== "Accept")
      throw new BgpFilterError(
        `${path}.operations`,
        "operations may only be used with action Accept",
      );
    out.operations = o.operations.map((x, i) => operation(x, `${path}.operations[${i}]`));
  }
  return out;
}

/**
 * Validates a BGPFilter resource. Throws {@link BgpFilterError} naming the
 * offending field (and the closest valid key for a misspelled one).
 */
export function parseBgpFilter(input: unknown): BgpFilter {
  const o = obj(input, "BGPFilter");
  strict(o, TOP_KEYS, "BGPFilter");
  if (o.kind !== undefined && o.kind !== "BGPFilter")
    throw new BgpFilterError("kind", `must be BGPFilter, got ${JSON.stringify(o.kind)}`);
  if (o.apiVersion !== undefined && typeof o.apiVersion !== "string")
    throw new BgpFilterError("apiVersion", "must be a string");
  const meta = obj(o.metadata, "metadata");
  if (typeof meta.name !== "string" || meta.name === "")
    throw new BgpFilterError("metadata.name", "must be a non-empty string");
  const spec = obj(o.spec ?? {}, "spec");
  strict(spec, SPEC_KEYS, "spec");
  const out: { -readonly [K in (typeof SPEC_KEYS)[number]]?: FilterRule[] } = {};
  for (const k of SPEC_KEYS) {
    const list = spec[k];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new BgpFilterError(`spec.${k}`, "must be a list of rules");
    const family = k.endsWith("V4") ? 4 : 6;
    out[k] = list.map((r, i) => rule(r, `spec.${k}[${i}]`, family));
  }
  return {
    ...(typeof o.apiVersion === "string" ? { apiVersion: o.apiVersion } : {}),
    kind: "BGPFilter",
    metadata: { ...meta, name: meta.name },
    spec: out,
  };
}
