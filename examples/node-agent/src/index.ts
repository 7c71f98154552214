/**
 * tortie-node — Calico's calico-node (confd + BIRD + Felix + IPAM
 * registration) composed from the Tortie packages: the reference composition
 * to copy into your own agent.
 *
 * Files (each room: a pure function snapshot → desired state, and an applier
 * that changes only the difference):
 * - `agent.ts`                   `Agent`: the composition (watch → rooms → speaker, kernel, status).
 * - `config/agent-config.ts`     environment + flags → `AgentConfig` (strict, closest-name errors).
 * - `config/closest.ts`          "did you mean" by edit distance.
 * - `snapshot/snapshot.ts`       key-value events → typed, validated resources; last good kept.
 * - `snapshot/watcher.ts`        list + watch with back-off and re-listing (edge).
 * - `rooms/bgp-config/`          confd: `desired.ts` (mesh, BGPPeers, RR, filters, originate),
 *                                `plan.ts` (diff), `applier.ts` (Speaker edge), `values.ts`,
 *                                `secrets.ts`, `interfaces.ts` (connected prefixes, ignoredInterfaces).
 * - `rooms/routes/`              Felix: `desired.ts` (blackholes, workloads, reachableBy, best
 *                                paths of the speaker's RIB as kernel routes with ECMP),
 *                                `applier.ts` (@tortie/netlink RouteReconciler, protocol 84).
 * - `rooms/ipam/registration.ts` Node registration; IPPool resources → IPAM configuration.
 * - `rooms/policy/`              Felix: `desired.ts` (endpoints, policies, namespace profiles),
 *                                `applier.ts` (@tortie/policy engine → nftables, differences only).
 * - `rooms/status/`              `record.ts` (status record, table), `metrics.ts` (prom-client),
 *                                `http.ts` (health, readiness, metrics), `control.ts` (Unix socket).
 * - `cli/main.ts`                the `tortie-node` executable (`bin.mjs` runs it through tsx).
 * - `testing/`                   test support (not exported): fixtures, agent and etcd processes.
 */
export { Agent, type AgentOptions } from "./agent.js";
export { type AgentConfig, AgentConfigError, loadAgentConfig } from "./config/agent-config.js";
export { BgpApplier } from "./rooms/bgp-config/applier.js";
export * from "./rooms/bgp-config/desired.js";
export * from "./rooms/bgp-config/plan.js";
export { secretResolver } from "./rooms/bgp-config/secrets.js";
export { IpamRoom, ipamConfigFor, nodeResource } from "./rooms/ipam/registration.js";
export { PolicyApplier } from "./rooms/policy/applier.js";
export { policyResources } from "./rooms/policy/desired.js";
export { RoutesApplier } from "./rooms/routes/applier.js";
export * from "./rooms/routes/desired.js";
export { controlRequest } from "./rooms/status/control.js";
export * from "./rooms/status/record.js";
export * from "./snapshot/snapshot.js";
