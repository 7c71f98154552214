// Validation of resources: shape (zod schemas in resources.ts), then the
// cross-field rules of Calico's validator (libcalico-go
// `lib/validator/v3/validator.go`): selectors parse, nets are CIDRs, ports
// only with TCP/UDP/SCTP/UDPLite, ICMP fields only with ICMP/ICMPv6, ipVersion
// consistent with nets and ICMP, preDNAT/doNotTrack only in global policies
// with applyOnForward, preDNAT without egress rules.
import { parseSelector, SelectorParseError } from "@tortie/selector";
import { AddressError, parseCidr } from "./cidr.js";
import { formatPath, PolicyValidationError, type ValidationIssue } from "./errors.js";
import { PortError, parsePort } from "./ports.js";
import { PORT_PROTOCOLS, protocolNumber } from "./protocol.js";
import {
  type EntityRule,
  type PolicySpec,
  type Resource,
  type Rule,
  SCHEMAS,
} from "./resources.js";

type Issues = ValidationIssue[];

function checkSelector(text: string | undefined, path: string, issues: Issues): void {
  if (text === undefined) return;
  try {
    parseSelector(text);
  } catch (e) {
    if (e instanceof SelectorParseError) {
      issues.push({
        path,
        message: `expected ${e.expected.join(" or ")}, found ${e.found}`,
        position: e.position,
      });
    } else throw e;
  }
}

function checkNets(nets: readonly string[] | undefined, path: string, issues: Issues): Set<number> {
  const families = new Set<number>();
  (nets ?? []).forEach((n, i) => {
    try {
      families.add(parseCidr(n).family);
    } catch (e) {
      if (e instanceof AddressError) issues.push({ path: `${path}[${i}]`, message: e.message });
      else throw e;
    }
  });
  return families;
}

function checkSide(
  side: EntityRule | undefined,
  path: string,
  proto: number | undefined,
  issues: Issues,
): Set<number> {
  const families = new Set<number>();
  if (!side) return families;
  checkSelector(side.selector, `${path}.selector`, issues);
  checkSelector(side.notSelector, `${path}.notSelector`, issues);
  checkSelector(side.namespaceSelector, `${path}.namespaceSelector`, issues);
  checkSelector(side.serviceAccounts?.selector, `${path}.serviceAccounts.selector`, issues);
  for (const f of checkNets(side.nets, `${path}.nets`, issues)) families.add(f);
  for (const f of checkNets(side.notNets, `${path}.notNets`, issues)) families.add(f);
  for (const field of ["ports", "notPorts"] as const) {
    const ports = side[field];
    if (!ports?.length) continue;
    if (proto === undefined || !PORT_PROTOCOLS.has(proto)) {
      issues.push({
        path: `${path}.${field}`,
        message: "ports need protocol TCP, UDP, SCTP or UDPLite",
      });
    }
    ports.forEach((p, i) => {
      try {
        parsePort(p);
      } catch (e) {
        if (e instanceof PortError)
          issues.push({ path: `${path}.${field}[${i}]`, message: e.message });
        else throw e;
      }
    });
  }
  return families;
}

/** Checks one rule; issues are pushed with paths under `path`. */
export function checkRule(rule: Rule, path: string, issues: Issues): void {
  let proto: number | undefined;
  if (rule.protocol !== undefined) {
    proto = protocolNumber(rule.protocol);
    if (proto === undefined)
      issues.push({ path: `${path}.protocol`, message: `unknown protocol ${rule.protocol}` });
  }
  if (rule.notProtocol !== undefined && protocolNumber(rule.notProtocol) === undefined) {
    issues.push({ path: `${path}.notProtocol`, message: `unknown protocol ${rule.notProtocol}` });
  }
  for (const f of ["icmp", "notICMP"] as const) {
    const icmp = rule[f];
    if (!icmp) continue;
    if (proto !== 1 && proto !== 58) {
      issues.push({ path: `${path}.${f}`, message: "ICMP fields need protocol ICMP or ICMPv6" });
    }
    if (icmp.code !== undefined && icmp.type === undefined) {
      issues.push({ path: `${path}.${f}.code`, message: "an ICMP code needs a type" });
    }
  }
  if (rule.ipVersion === 4 && proto === 58) {
    issues.push({ path: `${path}.ipVersion`, message: "ICMPv6 with ipVersion 4" });
  }
  if (rule.ipVersion === 6 && proto === 1) {
    issues.push({ path: `${path}.ipVersion`, message: "ICMP with ipVersion 6" });
  }
  const fams = new Set([
    ...checkSide(rule.source, `${path}.source`, proto, issues),
    ...checkSide(rule.destination, `${path}.destination`, proto, issues),
  ]);
  if (
    rule.ipVersion !== undefined &&
    fams.size > 0 &&
    (fams.size > 1 || !fams.has(rule.ipVersion))
  ) {
    issues.push({
      path: `${path}.ipVersion`,
      message: `nets of another IP version than ${rule.ipVersion}`,
    });
  }
}

function checkPolicySpec(spec: PolicySpec, global: boolean, issues: Issues): void {
  checkSelector(spec.selector, "spec.selector", issues);
  if (!global && spec.namespaceSelector !== undefined) {
    issues.push({
      path: "spec.namespaceSelector",
      message: "only GlobalNetworkPolicy has namespaceSelector",
    });
  }
  checkSelector(spec.namespaceSelector, "spec.namespaceSelector", issues);
  checkSelector(spec.serviceAccountSelector, "spec.serviceAccountSelector", issues);
  if ((spec.doNotTrack || spec.preDNAT) && !global) {
    issues.push({
      path: spec.doNotTrack ? "spec.doNotTrack" : "spec.preDNAT",
      message: "only in GlobalNetworkPolicy",
    });
  }
  if (spec.doNotTrack && spec.preDNAT) {
    issues.push({ path: "spec.preDNAT", message: "preDNAT and doNotTrack cannot both be true" });
  }
  if ((spec.doNotTrack || spec.preDNAT) && spec.applyOnForward === false) {
    issues.push({
      path: "spec.applyOnForward",
      message: "must be true with doNotTrack or preDNAT",
    });
  }
  if (spec.preDNAT && (spec.egress?.length || spec.types?.includes("Egress"))) {
    issues.push({ path: "spec.egress", message: "preDNAT policy cannot have egress rules" });
  }
  if (spec.types && new Set(spec.types).size !== spec.types.length) {
    issues.push({ path: "spec.types", message: "duplicate type" });
  }
  spec.ingress?.forEach((r, i) => {
    checkRule(r, `spec.ingress[${i}]`, issues);
  });
  spec.egress?.forEach((r, i) => {
    checkRule(r, `spec.egress[${i}]`, issues);
  });
}

/** `kind namespace/name` of a resource-like object, for messages. */
export function describeResource(obj: unknown, fallback = "resource"): string {
  const o = obj as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  if (!o || typeof o !== "object") return fallback;
  const ns = typeof o.metadata?.namespace === "string" ? `${o.metadata.namespace}/` : "";
  return `${String(o.kind ?? "?")} ${ns}${String(o.metadata?.name ?? "?")}`;
}

/**
 * Validates one resource object. Returns it typed, or throws
 * {@link PolicyValidationError} listing every problem with its field path
 * (and, for selectors, the position inside the selector).
 */
export function validateResource(obj: unknown): Resource {
  const what = describeResource(obj);
  const o = obj as { apiVersion?: unknown; kind?: unknown } | null;
  const schema =
    o && typeof o === "object" ? SCHEMAS[`${String(o.apiVersion)} ${String(o.kind)}`] : undefined;
  if (!schema) {
    throw new PolicyValidationError(what, [
      {
        path: "kind",
        message: `unsupported apiVersion/kind: ${String(o?.apiVersion)} ${String(o?.kind)}`,
      },
    ]);
  }
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    throw new PolicyValidationError(
      what,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const r = parsed.data as Resource;
  const issues: Issues = [];
  switch (r.kind) {
    case "NetworkPolicy":
      if (r.apiVersion === "projectcalico.org/v3") {
        if (!r.metadata.namespace) issues.push({ path: "metadata.namespace", message: "required" });
        checkPolicySpec(r.spec, false, issues);
      }
      break;
    case "GlobalNetworkPolicy":
      if (r.metadata.namespace)
        issues.push({ path: "metadata.namespace", message: "a global resource has none" });
      checkPolicySpec(r.spec, true, issues);
      break;
    case "NetworkSet":
    case "GlobalNetworkSet":
      if (r.kind === "NetworkSet" && !r.metadata.namespace) {
        issues.push({ path: "metadata.namespace", message: "required" });
      }
      checkNets(r.spec.nets, "spec.nets", issues);
      break;
    case "HostEndpoint":
      checkNets(r.spec.expectedIPs, "spec.expectedIPs", issues);
      break;
    case "WorkloadEndpoint":
      if (!r.metadata.namespace) issues.push({ path: "metadata.namespace", message: "required" });
      checkNets(r.spec.ipNetworks, "spec.ipNetworks", issues);
      break;
    case "Profile":
      r.spec.ingress?.forEach((x, i) => {
        checkRule(x, `spec.ingress[${i}]`, issues);
      });
      r.spec.egress?.forEach((x, i) => {
        checkRule(x, `spec.egress[${i}]`, issues);
      });
      break;
    default:
      break;
  }
  if (issues.length) throw new PolicyValidationError(what, issues);
  return r;
}
