/**
 * @tortie/policy — Calico and Kubernetes network policy: model, an engine
 * whose verdicts explain themselves, and nftables rendering that agrees.
 *
 * Files:
 * - `model/resources.ts`  the kinds the engine reads, typed from the one model in @tortie/api.
 * - `model/validate.ts`   @tortie/api validation, plus what the engine refuses (non-policy kinds, `services`).
 * - `model/k8s.ts`        Kubernetes NetworkPolicy → Calico NetworkPolicy (as Calico converts).
 * - `model/load.ts`       YAML/JSON documents → validated resources.
 * - `model/cidr.ts`       address and CIDR arithmetic; `ports.ts`, `protocol.ts` re-export @tortie/api's values.
 * - `model/errors.ts`     `PolicyValidationError` (a @tortie/api `ResourceValidationError`).
 * - `engine/labels.ts`    Calico's synthesized labels (namespace, service account).
 * - `engine/compiled.ts`  policies and profiles compiled (scoped selectors, parsed nets/ports).
 * - `engine/state.ts`     `PolicyState`: resources + label index; plans of tiers per endpoint.
 * - `engine/match.ts`     rule × flow matching with the reason for a mismatch.
 * - `engine/evaluate.ts`  Calico's evaluation order; verdicts with traces; `explain`.
 * - `engine/engine.ts`    `PolicyEngine`: state + evaluate.
 * - `nft/ruleset.ts`     a table as data; full script; diff script (incremental).
 * - `nft/render.ts`      state → ruleset: dispatch maps, endpoint/tier/policy chains, shared sets.
 * - `nft/apply.ts`       the `nft -f` edge: atomic full apply, then only differences.
 */

export * from "./engine/compiled.js";
export { PolicyEngine } from "./engine/engine.js";
export * from "./engine/evaluate.js";
export * from "./engine/labels.js";
export { type ParsedFlow, ruleMismatch } from "./engine/match.js";
export * from "./engine/state.js";
export {
  AddressError,
  type Cidr,
  type Family,
  formatCidr,
  formatIp,
  type Ip,
  parseCidr,
  parseIp,
} from "./model/cidr.js";
export { formatPath, PolicyValidationError, type ValidationIssue } from "./model/errors.js";
export { convertK8sNetworkPolicy, K8S_POLICY_ORDER } from "./model/k8s.js";
export { loadResources, toResource } from "./model/load.js";
export { formatPort, PortError, type PortSpec, parsePort } from "./model/ports.js";
export {
  PORT_PROTOCOLS,
  PROTOCOL_NUMBERS,
  type Protocol,
  type ProtocolName,
  protocolName,
  protocolNumber,
} from "./model/protocol.js";
export * from "./model/resources.js";
export { checkRule, describeResource, validateResource } from "./model/validate.js";
export {
  type ApplyResult,
  NftApplier,
  NftApplyError,
  type NftRunner,
  nftRunner,
} from "./nft/apply.js";
export {
  NftRenderer,
  type RenderOptions,
  renderRule,
  renderRuleset,
} from "./nft/render.js";
export {
  deleteScript,
  diffScript,
  fullScript,
  type NftChain,
  type NftScript,
  type NftSet,
  type Ruleset,
} from "./nft/ruleset.js";
