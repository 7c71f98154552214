// The engine: is a flow allowed, and why? For a flow between addresses it
// runs the source endpoint's egress and the destination endpoint's ingress
// through Calico's evaluation order (felix `rules/endpoints.go`):
//
//   for each tier with a policy that applies (tier order, then name):
//     for each policy (order, then name):  for each rule in order:
//       Allow → allowed;  Deny → denied;  Pass → next tier;  Log → go on
//     no rule matched in the tier → the tier's defaultAction (Deny, or Pass)
//   then the endpoint's profiles in order, same rules (Pass → next profile)
//   nothing decided → denied
//
// Host endpoints first run their doNotTrack, then preDNAT policies, where only
// an explicit Allow or Deny decides, then the normal ones as above.
import { formatIp, parseIp } from "../model/cidr.js";
import { protocolNumber } from "../model/protocol.js";
import type { Action } from "../model/resources.js";
import type { CompiledRule, Direction, Stage } from "./compiled.js";
import { type ParsedFlow, ruleMatches, ruleMismatch } from "./match.js";
import type { EndpointInfo, PolicyState } from "./state.js";

/**
 * A flow to evaluate. Each side is an address, an endpoint, or both (then
 * the address must be one of the endpoint's). An endpoint is named by key —
 * `wep:<namespace>/<name>`, `hep:<name>` — or, for a workload, `<namespace>/<name>`;
 * named alone, it stands for its first address of the flow's family.
 */
export interface Flow {
  /** Source address ("192.0.2.10" or "2001:db8::10"). */
  readonly src?: string;
  readonly dst?: string;
  /** Source endpoint (`wep:prod/web`, `prod/web`, `hep:node1-eth0`). */
  readonly srcEndpoint?: string;
  readonly dstEndpoint?: string;
  /** "TCP", "UDP", "ICMP", "ICMPv6", "SCTP" or a number. */
  readonly protocol: string | number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** Interface the flow enters this node by, when it is forwarded (for host endpoints' applyOnForward policies). */
  readonly inInterface?: string;
  /** Interface the flow leaves this node by, when it is forwarded. */
  readonly outInterface?: string;
}

/**
 * The verdict. "no-endpoint": neither address belongs to an endpoint (and no
 * host endpoint forwarded it), so no policy applies to the flow at all —
 * reported as such, never as "allow".
 */
export type Verdict = "allow" | "deny" | "no-endpoint";

/** What happened to one rule. */
export interface RuleStep {
  readonly index: number;
  readonly action: Action;
  /** Undefined when the rule matched; else why it did not. */
  readonly mismatch?: string;
}

/** What happened in one policy. */
export interface PolicyStep {
  readonly policy: string;
  readonly rules: readonly RuleStep[];
  /** The action of the rule that ended the policy, or "no match". */
  readonly outcome: "Allow" | "Deny" | "Pass" | "no match";
}

/** What happened in one tier. */
export interface TierStep {
  readonly tier: string;
  readonly stage: Stage;
  readonly policies: readonly PolicyStep[];
  /** How the tier ended: a rule's action, or its default action when nothing matched. */
  readonly outcome: "Allow" | "Deny" | "Pass" | "default Deny" | "default Pass" | "no match";
}

/** Who decided a direction. */
export type Decider =
  | {
      readonly by: "rule";
      readonly tier: string;
      readonly policy: string;
      readonly rule: number;
      readonly action: "Allow" | "Deny";
    }
  | { readonly by: "tier-default"; readonly tier: string }
  | {
      readonly by: "profile";
      readonly profile: string;
      readonly rule: number;
      readonly action: "Allow" | "Deny";
    }
  | { readonly by: "no-profile-match" }
  /** Forwarded through a host endpoint whose applyOnForward policies did not deny. */
  | { readonly by: "forwarded" };

/** One endpoint's verdict in one direction, with its trace. */
export interface DirectionResult {
  readonly endpoint: string;
  readonly direction: Direction;
  readonly verdict: Verdict;
  readonly decidedBy: Decider;
  readonly tiers: readonly TierStep[];
  readonly profiles: readonly PolicyStep[];
}

/** One side of an evaluated flow: its address and the endpoint owning it, if any. */
export interface FlowSide {
  readonly address: string;
  /** Endpoint key; absent when the address belongs to no endpoint. */
  readonly endpoint?: string;
}

/** The verdict of a flow and the explanation. */
export interface Evaluation {
  readonly verdict: Verdict;
  readonly source: FlowSide;
  readonly destination: FlowSide;
  /** Sides whose address belongs to no endpoint: no policy applied on that side. */
  readonly noEndpoint: readonly ("source" | "destination")[];
  /** Egress at the source endpoint (absent when the source is not a known endpoint). */
  readonly egress?: DirectionResult;
  /** Ingress at the destination endpoint (absent when it is not a known endpoint). */
  readonly ingress?: DirectionResult;
  /** Forwarded in through a host endpoint (`inInterface`). */
  readonly forwardIngress?: DirectionResult;
  /** Forwarded out through a host endpoint (`outInterface`). */
  readonly forwardEgress?: DirectionResult;
}

/** A flow whose fields are unusable. */
export class FlowError extends Error {
  override readonly name = "FlowError";
}

/** Parses a {@link Flow} whose sides are addresses. */
export function parseFlow(f: Flow): ParsedFlow {
  const protocol = protocolNumber(f.protocol);
  if (protocol === undefined) throw new FlowError(`unknown protocol ${f.protocol}`);
  if (f.src === undefined || f.dst === undefined) {
    throw new FlowError("a flow needs a source and a destination address (or endpoint)");
  }
  const src = parseIp(f.src);
  const dst = parseIp(f.dst);
  if (src.family !== dst.family)
    throw new FlowError("source and destination of different families");
  return {
    src,
    dst,
    protocol,
    srcPort: f.srcPort,
    dstPort: f.dstPort,
    icmpType: f.icmpType,
    icmpCode: f.icmpCode,
  };
}

function endpointNamed(st: PolicyState, name: string): EndpointInfo {
  const key = /^(wep|hep):/.test(name) ? name : `wep:${name}`;
  const ep = st.endpoint(key);
  if (!ep) throw new FlowError(`no endpoint ${name}`);
  return ep;
}

/**
 * Resolves a flow's sides: endpoints named stand for one of their addresses
 * (of the other side's family when that is known); an address given with an
 * endpoint must be the endpoint's.
 */
export function resolveFlow(st: PolicyState, f: Flow): Flow {
  const srcEp = f.srcEndpoint === undefined ? undefined : endpointNamed(st, f.srcEndpoint);
  const dstEp = f.dstEndpoint === undefined ? undefined : endpointNamed(st, f.dstEndpoint);
  const familyOf = (a: string | undefined) => (a === undefined ? undefined : parseIp(a).family);
  const pick = (ep: EndpointInfo, given: string | undefined, family: number | undefined) => {
    if (given !== undefined) {
      const ip = parseIp(given);
      if (
        !ep.nets.some((c) => c.family === ip.family && c.start <= ip.value && ip.value <= c.end)
      ) {
        throw new FlowError(`${given} is not an address of endpoint ${ep.key}`);
      }
      return given;
    }
    const c = ep.nets.find((n) => family === undefined || n.family === family);
    if (!c) {
      throw new FlowError(
        `endpoint ${ep.key} has no ${family === undefined ? "" : `IPv${family} `}address`,
      );
    }
    return formatIp(c.family, c.start);
  };
  let src = f.src;
  let dst = f.dst;
  if (srcEp) src = pick(srcEp, src, familyOf(dst));
  if (dstEp) dst = pick(dstEp, dst, familyOf(src));
  return { ...f, src, dst };
}

function runRules(
  st: PolicyState,
  rules: readonly CompiledRule[],
  flow: ParsedFlow,
  trace: boolean,
): { steps: RuleStep[]; hit: CompiledRule | undefined } {
  const steps: RuleStep[] = [];
  for (const r of rules) {
    if (!trace) {
      if (ruleMatches(st, r, flow) && r.action !== "Log") return { steps, hit: r };
      continue;
    }
    const why = ruleMismatch(st, r, flow);
    if (trace)
      steps.push(
        why === undefined
          ? { index: r.index, action: r.action }
          : { index: r.index, action: r.action, mismatch: why },
      );
    if (why === undefined && r.action !== "Log") return { steps, hit: r };
  }
  return { steps, hit: undefined };
}

/** Evaluates one endpoint in one direction. `trace: false` skips building steps (faster). */
export function evaluateEndpoint(
  st: PolicyState,
  ep: EndpointInfo,
  dir: Direction,
  flow: ParsedFlow,
  trace = true,
  forwarded = false,
): DirectionResult {
  const tiers: TierStep[] = [];
  const done = (
    verdict: Verdict,
    decidedBy: Decider,
    profiles: PolicyStep[] = [],
  ): DirectionResult => ({
    endpoint: ep.key,
    direction: dir,
    verdict,
    decidedBy,
    tiers,
    profiles,
  });
  const stages: Stage[] =
    ep.kind === "host"
      ? dir === "ingress"
        ? ["untracked", "preDNAT", "normal"]
        : ["untracked", "normal"]
      : ["normal"];
  for (const stage of stages) {
    tierLoop: for (const { tier, policies } of st.plan(ep, dir, stage, forwarded)) {
      const psteps: PolicyStep[] = [];
      const tierStep = (outcome: TierStep["outcome"]) => {
        if (trace) tiers.push({ tier: tier.name, stage, policies: psteps, outcome });
      };
      for (const p of policies) {
        const { steps, hit } = runRules(st, dir === "ingress" ? p.ingress : p.egress, flow, trace);
        const outcome = hit ? (hit.action as "Allow" | "Deny" | "Pass") : "no match";
        if (trace) psteps.push({ policy: p.name, rules: steps, outcome });
        if (!hit) continue;
        tierStep(outcome);
        if (hit.action === "Pass") continue tierLoop;
        return done(hit.action === "Allow" ? "allow" : "deny", {
          by: "rule",
          tier: tier.name,
          policy: p.name,
          rule: hit.index,
          action: hit.action as "Allow" | "Deny",
        });
      }
      if (stage !== "normal") {
        tierStep("no match");
        continue;
      }
      if (tier.defaultAction === "Pass") {
        tierStep("default Pass");
        continue;
      }
      tierStep("default Deny");
      return done("deny", { by: "tier-default", tier: tier.name });
    }
  }
  // Forwarded traffic: only applyOnForward policies count, and no profiles.
  if (forwarded) return done("allow", { by: "forwarded" });
  const profiles: PolicyStep[] = [];
  for (const name of ep.profiles) {
    const prof = st.profile(name);
    if (!prof) continue;
    const { steps, hit } = runRules(
      st,
      dir === "ingress" ? prof.ingress : prof.egress,
      flow,
      trace,
    );
    const outcome = hit ? (hit.action as "Allow" | "Deny" | "Pass") : "no match";
    if (trace) profiles.push({ policy: `profile ${name}`, rules: steps, outcome });
    if (hit && hit.action !== "Pass") {
      return done(
        hit.action === "Allow" ? "allow" : "deny",
        { by: "profile", profile: name, rule: hit.index, action: hit.action as "Allow" | "Deny" },
        profiles,
      );
    }
  }
  return done("deny", { by: "no-profile-match" }, profiles);
}

/**
 * Evaluates a flow: egress at its source endpoint, then ingress at its
 * destination endpoint; allowed only if both allow. A side whose address
 * belongs to no endpoint imposes nothing and is listed in `noEndpoint`; when
 * neither does (and no host endpoint forwarded it) the verdict is
 * "no-endpoint".
 */
export function evaluateFlow(
  st: PolicyState,
  flow: Flow,
  opts: { trace?: boolean } = {},
): Evaluation {
  flow = resolveFlow(st, flow);
  const f = parseFlow(flow);
  const trace = opts.trace ?? true;
  const srcEp = st.endpointByIp(f.src);
  const dstEp = st.endpointByIp(f.dst);
  const out: {
    forwardIngress?: DirectionResult;
    egress?: DirectionResult;
    ingress?: DirectionResult;
    forwardEgress?: DirectionResult;
  } = {};
  // In the order a forwarded packet meets them: in through a host
  // endpoint, out of the source workload, into the destination workload,
  // out through a host endpoint. The first deny decides.
  // A host endpoint polices traffic through its own interface: not what a
  // local workload sends to the host, nor what the host sends to one.
  const applies = (ep: EndpointInfo, dir: Direction): boolean => {
    if (ep.kind === "workload") return true;
    const other = dir === "ingress" ? srcEp : dstEp;
    if (other?.kind === "workload") return false;
    const via = dir === "ingress" ? flow.inInterface : flow.outInterface;
    return via === undefined || via === ep.interfaceName;
  };
  const hepIn = flow.inInterface ? st.hostEndpointByInterface(flow.inInterface) : undefined;
  const hepOut = flow.outInterface ? st.hostEndpointByInterface(flow.outInterface) : undefined;
  const steps: [keyof typeof out, () => DirectionResult | undefined][] = [
    [
      "forwardIngress",
      () =>
        hepIn && hepIn !== dstEp
          ? evaluateEndpoint(st, hepIn, "ingress", f, trace, true)
          : undefined,
    ],
    [
      "egress",
      () =>
        srcEp && applies(srcEp, "egress")
          ? evaluateEndpoint(st, srcEp, "egress", f, trace)
          : undefined,
    ],
    [
      "ingress",
      () =>
        dstEp && applies(dstEp, "ingress")
          ? evaluateEndpoint(st, dstEp, "ingress", f, trace)
          : undefined,
    ],
    [
      "forwardEgress",
      () =>
        hepOut && hepOut !== srcEp
          ? evaluateEndpoint(st, hepOut, "egress", f, trace, true)
          : undefined,
    ],
  ];
  const sides = {
    source: { address: flow.src!, ...(srcEp ? { endpoint: srcEp.key } : {}) },
    destination: { address: flow.dst!, ...(dstEp ? { endpoint: dstEp.key } : {}) },
    noEndpoint: [...(srcEp ? [] : ["source" as const]), ...(dstEp ? [] : ["destination" as const])],
  };
  for (const [k, fn] of steps) {
    const r = fn();
    if (!r) continue;
    out[k] = r;
    if (r.verdict === "deny") return { verdict: "deny", ...sides, ...out };
  }
  const policed = Object.keys(out).length > 0 || srcEp !== undefined || dstEp !== undefined;
  return { verdict: policed ? "allow" : "no-endpoint", ...sides, ...out };
}

/** A short human explanation of an evaluation, one line per direction. */
export function explain(e: Evaluation): string {
  const line = (d: DirectionResult) => {
    const by = d.decidedBy;
    const who =
      by.by === "rule"
        ? `tier ${by.tier}, policy ${by.policy}, ${d.direction} rule ${by.rule} (${by.action})`
        : by.by === "tier-default"
          ? `end of tier ${by.tier}: no policy matched (default Deny)`
          : by.by === "profile"
            ? `profile ${by.profile}, ${d.direction} rule ${by.rule} (${by.action})`
            : by.by === "forwarded"
              ? "forwarding: no applyOnForward policy denied"
              : "no policy or profile matched";
    const passed = d.tiers.flatMap((t) =>
      t.policies
        .filter((p) => p.outcome !== "Allow" && p.outcome !== "Deny")
        .map(
          (p) =>
            `${p.policy}: ${p.outcome === "Pass" ? "Pass" : (p.rules.map((r) => r.mismatch).filter(Boolean)[0] ?? "no rules")}`,
        ),
    );
    return `${d.direction} ${d.endpoint}: ${d.verdict} by ${who}${passed.length ? `; passed over ${passed.join("; ")}` : ""}`;
  };
  const none = e.noEndpoint.map(
    (side) =>
      `${side} ${side === "source" ? e.source.address : e.destination.address}: belongs to no endpoint, no policy applies on this side`,
  );
  return [
    ...none,
    e.forwardIngress && `forwarded in via ${line(e.forwardIngress)}`,
    e.egress && line(e.egress),
    e.ingress && line(e.ingress),
    e.forwardEgress && `forwarded out via ${line(e.forwardEgress)}`,
    `verdict: ${e.verdict}`,
  ]
    .filter(Boolean)
    .join("\n");
}

/** Text of an address in a trace. */
export const formatAddress = formatIp;
