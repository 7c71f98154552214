// Does a rule match a flow? Returns undefined for a match, or the first
// reason it does not (for explain traces). Field semantics follow the Calico
// rule reference: every present field must match (AND); `not*` fields negate.
import { cidrContains, formatIp, type Ip } from "../model/cidr.js";
import { formatPort, type PortSpec } from "../model/ports.js";
import { protocolName } from "../model/protocol.js";
import type { CompiledRule, CompiledSide } from "./compiled.js";
import type { PolicyState } from "./state.js";

/** A flow as the engine sees it: addresses parsed, protocol numbered. */
export interface ParsedFlow {
  readonly src: Ip;
  readonly dst: Ip;
  readonly protocol: number;
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  readonly icmpType: number | undefined;
  readonly icmpCode: number | undefined;
}

function portMatches(
  st: PolicyState,
  side: CompiledSide,
  ports: readonly PortSpec[],
  ip: Ip,
  port: number | undefined,
  proto: number,
): boolean {
  if (port === undefined) return false;
  for (const p of ports) {
    if (p.kind === "range") {
      if (port >= p.min && port <= p.max) return true;
    } else if (st.namedPortMatches(side.namedPortScope, p.name, proto, ip, port)) return true;
  }
  return false;
}

function sideMatches(
  st: PolicyState,
  side: CompiledSide,
  ip: Ip,
  port: number | undefined,
  proto: number,
): boolean {
  if (side.nets.length && !side.nets.some((c) => cidrContains(c, ip))) return false;
  if (side.notNets.length && side.notNets.some((c) => cidrContains(c, ip))) return false;
  if (side.selector && !st.selectorMatchesIp(side.selector, ip)) return false;
  if (side.notSelector && st.selectorMatchesIp(side.notSelector, ip)) return false;
  if (side.ports.length && !portMatches(st, side, side.ports, ip, port, proto)) return false;
  if (side.notPorts.length && portMatches(st, side, side.notPorts, ip, port, proto)) return false;
  return true;
}

/** True when `rule` matches `flow` (the fast path, without reasons). */
export function ruleMatches(st: PolicyState, rule: CompiledRule, flow: ParsedFlow): boolean {
  if (rule.ipVersion !== undefined && rule.ipVersion !== flow.src.family) return false;
  if (rule.protocol !== undefined && rule.protocol !== flow.protocol) return false;
  if (rule.notProtocol !== undefined && rule.notProtocol === flow.protocol) return false;
  if (rule.icmp || rule.notICMP) return ruleMismatch(st, rule, flow) === undefined;
  return (
    sideMatches(st, rule.source, flow.src, flow.srcPort, flow.protocol) &&
    sideMatches(st, rule.destination, flow.dst, flow.dstPort, flow.protocol)
  );
}

function sideReason(
  st: PolicyState,
  side: CompiledSide,
  which: "source" | "destination",
  ip: Ip,
  port: number | undefined,
  proto: number,
): string | undefined {
  if (sideMatches(st, side, ip, port, proto)) return undefined;
  const a = formatIp(ip.family, ip.value);
  if (side.nets.length && !side.nets.some((c) => cidrContains(c, ip)))
    return `${which} ${a} not in nets`;
  if (side.notNets.some((c) => cidrContains(c, ip))) return `${which} ${a} in notNets`;
  if (side.selector && !st.selectorMatchesIp(side.selector, ip)) {
    return `${which} ${a} not selected by ${side.selector.text}`;
  }
  if (side.notSelector && st.selectorMatchesIp(side.notSelector, ip)) {
    return `${which} ${a} selected by notSelector ${side.notSelector.text}`;
  }
  if (side.ports.length && !portMatches(st, side, side.ports, ip, port, proto)) {
    return `${which} port ${port ?? "-"} not in [${side.ports.map(formatPort).join(", ")}]`;
  }
  if (side.notPorts.length && portMatches(st, side, side.notPorts, ip, port, proto)) {
    return `${which} port ${port} in notPorts [${side.notPorts.map(formatPort).join(", ")}]`;
  }
  return undefined;
}

/** Undefined when `rule` matches `flow`; else why not. */
export function ruleMismatch(
  st: PolicyState,
  rule: CompiledRule,
  flow: ParsedFlow,
): string | undefined {
  if (rule.ipVersion !== undefined && rule.ipVersion !== flow.src.family) {
    return `IPv${flow.src.family} flow, rule is ipVersion ${rule.ipVersion}`;
  }
  if (rule.protocol !== undefined && rule.protocol !== flow.protocol) {
    return `protocol ${protocolName(flow.protocol)} is not ${protocolName(rule.protocol)}`;
  }
  if (rule.notProtocol !== undefined && rule.notProtocol === flow.protocol) {
    return `protocol ${protocolName(flow.protocol)} is notProtocol`;
  }
  if (rule.icmp) {
    if (rule.icmp.type !== undefined && rule.icmp.type !== flow.icmpType)
      return `ICMP type ${flow.icmpType} is not ${rule.icmp.type}`;
    if (rule.icmp.code !== undefined && rule.icmp.code !== flow.icmpCode)
      return `ICMP code ${flow.icmpCode} is not ${rule.icmp.code}`;
  }
  if (rule.notICMP?.type !== undefined && rule.notICMP.type === flow.icmpType) {
    if (rule.notICMP.code === undefined || rule.notICMP.code === flow.icmpCode)
      return "ICMP type/code is notICMP";
  }
  return (
    sideReason(st, rule.source, "source", flow.src, flow.srcPort, flow.protocol) ??
    sideReason(st, rule.destination, "destination", flow.dst, flow.dstPort, flow.protocol)
  );
}
