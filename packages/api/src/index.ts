/**
 * @tortie/api — the one model of Calico's `projectcalico.org/v3` resources and
 * the Kubernetes resources Tortie reads: zod schemas and types with Calico's
 * defaults, YAML loading that takes users' files as they are, and a typed
 * resource client over `@tortie/datastore` in Calico's key layout.
 *
 * Files:
 * - `schema/object.ts`   strict objects whose unknown keys name the closest field; `unused()` fields kept and reported.
 * - `schema/suggest.ts`  edit distance and "did you mean".
 * - `schema/common.ts`   ObjectMeta, selectors (via @tortie/selector), CIDRs, ports, protocols, AS numbers, interface names.
 * - `values/ports.ts`, `values/protocol.ts`  port and protocol values as Calico writes them.
 * - `kinds/ipam.ts`      IPPool, IPReservation, IPAMConfiguration, BlockAffinity.
 * - `kinds/bgp.ts`       BGPConfiguration, BGPPeer, BGPFilter, Node.
 * - `kinds/policy.ts`    rules, (Global)NetworkPolicy, Staged*, Tier, (Global)NetworkSet, Host/WorkloadEndpoint, Profile.
 * - `kinds/cluster.ts`   FelixConfiguration, ClusterInformation, KubeControllersConfiguration.
 * - `kinds/kubernetes.ts` networking.k8s.io/v1 NetworkPolicy, v1 Namespace and ServiceAccount.
 * - `kinds/node-status.ts` the node status record agents keep in the datastore (after CalicoNodeStatus).
 * - `registry.ts`        the kind table (schema, plural, namespaced, acted on) and the resource types.
 * - `load.ts`            YAML/JSON → validated resources + unused-field notices; errors name paths.
 * - `client.ts`          `ResourceClient`: get/list/create/update/apply/delete/watch by kind.
 * - `names.ts`           Calico's derived names (WorkloadEndpoint `<node>-<orchestrator>-<workload>-<endpoint>`).
 * - `errors.ts`          `ResourceValidationError` and issue formatting.
 * The corpus of documentation resources that must load unchanged is in `corpus/`.
 */

export * from "./client.js";
export * from "./errors.js";
export * from "./kinds/bgp.js";
export * from "./kinds/cluster.js";
export * from "./kinds/ipam.js";
export * from "./kinds/kubernetes.js";
export * from "./kinds/node-status.js";
export * from "./kinds/policy.js";
export * from "./load.js";
export * from "./names.js";
export * from "./registry.js";
export {
  asNumber,
  cidr,
  duration,
  interfaceName,
  ip,
  ipOrCidr,
  labelSelector,
  objectMeta,
  port,
  protocol,
  selector,
} from "./schema/common.js";
export { findUnused, obj, unknownKeysMessage, unused } from "./schema/object.js";
export { closest, editDistance } from "./schema/suggest.js";
export { formatPort, PortError, type PortSpec, parsePort } from "./values/ports.js";
export {
  PORT_PROTOCOLS,
  PROTOCOL_NUMBERS,
  type Protocol,
  type ProtocolName,
  protocolName,
  protocolNumber,
} from "./values/protocol.js";
