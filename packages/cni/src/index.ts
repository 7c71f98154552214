/**
 * @tortie/cni — the CNI 1.1 protocol as a library (plugins and runtimes),
 * and the Tortie plugin.
 *
 * Files:
 * - `spec/versions.ts`  spec versions, comparison, selection of the highest.
 * - `spec/errors.ts`    the spec's error codes, `CniError`, error JSON.
 * - `spec/env.ts`       CNI_* parameters per verb, CNI_ARGS, name rules.
 * - `spec/config.ts`    network configurations and lists, request configuration
 *                       derivation (runtimeConfig, prevResult, valid-attachments).
 * - `spec/result.ts`    results per version (0.3.0 … 1.1.0) and conversions.
 * - `spec/ip.ts`        address family helpers.
 * - `skel/skel.ts`      `skel()`: a plugin over injected env/stdin/stdout → exit code.
 * - `skel/process.ts`   `pluginMain()`: the skel on the real process.
 * - `runtime/invoke.ts` running one plugin through an injected executor.
 * - `runtime/runtime.ts` `CniRuntime`: ADD/DEL/CHECK/GC/STATUS of lists.
 * - `runtime/exec.ts`   the process edge: CNI_PATH lookup, spawning plugins.
 * - `runtime/delegate.ts` delegation to IPAM (or any) plugins.
 * - `cli/`              executables: `tortie-cni` (a cnitool: args.ts, store.ts,
 *                       main.ts) and the `tortie` plugin's Node entry (tortie.ts).
 * - `plugin/`           the Tortie plugin (`type: tortie`):
 *   - `names.ts`          host veth names (cali + SHA-1), gateway addresses.
 *   - `plan.ts`           the pod's veth, addresses, routes, sysctls as data; the result.
 *   - `config.ts`         the plugin's configuration keys and error codes.
 *   - `plugin.ts`         ADD/DEL/CHECK/GC/STATUS over injected edges, roll-back.
 *   - `dataplane.ts`      the kernel edge through @tortie/netlink (not exported here).
 *   - `ipam.ts`           IPAM delegated to a CNI IPAM plugin (host-local…).
 *   - `tortie-ipam.ts`    IPAM in-process through @tortie/ipam.
 *   - `endpoint.ts`       workload endpoint records in @tortie/datastore.
 *   - `state.ts`          per-attachment records on disk (DEL, GC).
 *   - `helper.ts`, `helper-protocol.ts`  the resident helper behind the bash
 *                         shim `cli/tortie.sh` (Node start-up is avoided per call):
 *                         mutual proof of a root-only secret, framing, limits;
 *                         `unlink-worker.ts` its link-deleting worker threads.
 *   - `locks.ts`          per-attachment flock(2) locks across processes, DEL wins.
 *   - `main.ts`           the production edges; `bundle.ts`, `store-client.ts`,
 *                         `koffi-lazy.ts` the single-file bundles; `testing.ts`,
 *                         `shim-testing.ts`, `fault-testing.ts` test support.
 */

export * from "./plugin/config.js";
export type { Dataplane, Observed } from "./plugin/dataplane.js";
export * from "./plugin/endpoint.js";
export * from "./plugin/helper-protocol.js";
export * from "./plugin/ipam.js";
export * from "./plugin/names.js";
export * from "./plugin/plan.js";
export * from "./plugin/plugin.js";
export * from "./plugin/state.js";
export * from "./plugin/tortie-ipam.js";
export * from "./runtime/delegate.js";
export * from "./runtime/exec.js";
export * from "./runtime/invoke.js";
export * from "./runtime/runtime.js";
export * from "./skel/process.js";
export * from "./skel/skel.js";
export * from "./spec/config.js";
export * from "./spec/env.js";
export * from "./spec/errors.js";
export * from "./spec/ip.js";
export * from "./spec/result.js";
export * from "./spec/versions.js";
