/**
 * @tortie/datastore — a revisioned key-value store with compare-and-swap,
 * multi-key transactions, watch and leases, on three backends that pass one
 * conformance suite.
 *
 * Files:
 * - `types.ts`            the model: {@link Datastore}, KeyValue, TxnRequest, Watch, Lease.
 * - `errors.ts`           typed errors (conflicts, unavailable, compacted, usage).
 * - `keys.ts`             prefix ranges and input checks.
 * - `crud.ts`             create/update/delete as single-key transactions.
 * - `backends/memory.ts`  in-process reference backend (tests, tools).
 * - `backends/sqlite.ts`  embedded default: one SQLite file shared by processes of a host.
 * - `backends/etcd.ts`    etcd v3, for clusters.
 * - `resources/common.ts`     shared schema parts (metadata, CIDRs, ports, selectors).
 * - `resources/calico.ts`     the 14 `projectcalico.org/v3` kinds with Calico's defaults.
 * - `resources/kubernetes.ts` `networking.k8s.io/v1` NetworkPolicy.
 * - `resources/load.ts`       YAML/JSON → validated resources; errors name field paths.
 * - `resources/client.ts`     typed CRUD over a Datastore in Calico's key layout.
 * The conformance suite every backend passes is test code, in `test/conformance.ts`.
 */

export { EtcdStore, type EtcdStoreOptions } from "./backends/etcd.js";
export { MemoryStore, type MemoryStoreOptions } from "./backends/memory.js";
export { SqliteStore, type SqliteStoreOptions } from "./backends/sqlite.js";
export * from "./errors.js";
export { prefixEnd } from "./keys.js";
export {
  bgpConfigurationSpec,
  bgpFilterSpec,
  bgpPeerSpec,
  calicoKinds,
  globalNetworkPolicySpec,
  hostEndpointSpec,
  ipamConfigurationSpec,
  ipPoolSpec,
  ipReservationSpec,
  networkPolicySpec,
  networkSetSpec,
  nodeSpec,
  rule,
  tierSpec,
  workloadEndpointSpec,
} from "./resources/calico.js";
export { ResourceClient, type ResourceRef } from "./resources/client.js";
export { k8sNetworkPolicySpec, kubernetesKinds } from "./resources/kubernetes.js";
export {
  type CalicoKind,
  type CalicoResource,
  type K8sNetworkPolicy,
  kindInfo,
  loadResources,
  type Resource,
  type ResourceIssue,
  ResourceValidationError,
  validateResource,
} from "./resources/load.js";
export type * from "./types.js";
