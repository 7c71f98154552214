/**
 * @tortie/testbed — the test infrastructure every integration suite and the
 * lab share (private, never published).
 *
 * Files:
 * - `topology.ts`   hosts (network namespaces), bridge segments, veth links,
 *                   addresses, routes, sysctls; `createTopology()`.
 * - `names.ts`      per-run namespace names and the sweeper of crashed runs.
 * - `netns.ts`      `inNetns()`: run a synchronous function inside a namespace
 *                   (setns through koffi), to open sockets there.
 * - `exec.ts`       promise-returning command runner with typed errors.
 * - `wait.ts`       `waitFor()` polling with deadlines.
 * - `prereqs.ts`    root/daemon checks: fail in CI, skip with a reason elsewhere.
 * - `vitest.ts`     `useTestbed()`: per-suite cleanup and daemon logs on failure.
 * - `global-setup.ts` vitest global setup: sweep leftovers, check prerequisites.
 * - `daemons/`      launchers with parsed state: `bird.ts`, `frr.ts`,
 *                   `gobgp.ts`, `exabgp.ts`, `etcd.ts`; `daemon.ts` is the
 *                   shared process handle.
 */

export * from "./daemons/bird.js";
export * from "./daemons/daemon.js";
export * from "./daemons/etcd.js";
export * from "./daemons/exabgp.js";
export * from "./daemons/frr.js";
export * from "./daemons/gobgp.js";
export * from "./exec.js";
export * from "./labs/four-peers.js";
export * from "./names.js";
export * from "./netns.js";
export * from "./prereqs.js";
export * from "./topology.js";
export * from "./vitest.js";
export * from "./wait.js";
