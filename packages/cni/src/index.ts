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
 * - `cli/`              `tortie-cni`, a cnitool (bin).
 */

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
