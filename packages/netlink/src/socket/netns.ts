// Network namespaces: handles (the current one, a named one under
// /var/run/netns as `ip netns` keeps them, or any path such as
// /proc/PID/ns/net), entering one for the duration of a synchronous call
// (setns(2) on this thread, always switched back), creating and deleting
// named ones (what `ip netns add|del` does: unshare(CLONE_NEWNET) and a bind
// mount of the new namespace's handle), and sysctls inside a namespace
// (/proc/sys/net resolves to the namespace of the thread that opens it).
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { NetlinkSocketError } from "../errors.js";
import { NetlinkInputError } from "../wire/errors.js";
import { check, libc } from "./libc.js";

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SHARED = 1 << 20;
const MNT_DETACH = 2;
const EINVAL = 22;

/** Where `ip netns` keeps named namespaces. */
export const NETNS_RUN_DIR = "/var/run/netns";

/** A network namespace handle. */
export type Netns =
  | { readonly kind: "current" }
  | { readonly kind: "named"; readonly name: string }
  | { readonly kind: "path"; readonly path: string };

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Handles for network namespaces. */
export const Netns = {
  /** The namespace this process runs in. */
  current(): Netns {
    return { kind: "current" };
  },
  /** A named namespace, /var/run/netns/NAME (`ip netns add NAME`). */
  named(name: string): Netns {
    if (!NAME_RE.test(name) || name === "." || name === "..") {
      throw new NetlinkInputError(`bad namespace name "${name}"`);
    }
    return { kind: "named", name };
  },
  /** Any namespace file: /proc/PID/ns/net, a bind mount, … */
  path(path: string): Netns {
    return { kind: "path", path };
  },
  /** The namespace of a process (/proc/PID/ns/net). */
  pid(pid: number): Netns {
    return { kind: "path", path: `/proc/${pid}/ns/net` };
  },
  /** A string "NAME" or "/path", or a handle, as a handle. */
  from(ns: Netns | string | undefined): Netns {
    if (ns === undefined) return { kind: "current" };
    if (typeof ns !== "string") return ns;
    return ns.startsWith("/") ? Netns.path(ns) : Netns.named(ns);
  },
} as const;

/** The file of a handle, or undefined for the current namespace. */
export function netnsPath(ns: Netns): string | undefined {
  if (ns.kind === "current") return undefined;
  return ns.kind === "named" ? `${NETNS_RUN_DIR}/${ns.name}` : ns.path;
}

/** Opens a handle's file (for IFLA_NET_NS_FD); the caller closes it. */
export function openNetnsFd(ns: Netns): number {
  return openSync(netnsPath(ns) ?? "/proc/thread-self/ns/net", "r");
}

/**
 * Runs `fn` with this thread inside `ns`, then switches back (also when `fn`
 * throws). `fn` must be synchronous: sockets and /proc/sys files opened in it
 * stay bound to `ns`.
 */
export function inNetns<T>(ns: Netns, fn: () => T): T {
  const path = netnsPath(ns);
  if (path === undefined) return fn();
  const c = libc();
  const self = openSync("/proc/thread-self/ns/net", "r");
  try {
    let target: number;
    try {
      target = openSync(path, "r");
    } catch (e) {
      throw new NetlinkSocketError("open", 2, `namespace ${path}: ${(e as Error).message}`);
    }
    try {
      check(c.setns(target, CLONE_NEWNET), "setns", path);
    } finally {
      closeSync(target);
    }
    try {
      return fn();
    } finally {
      check(c.setns(self, CLONE_NEWNET), "setns", "back to own namespace");
    }
  } finally {
    closeSync(self);
  }
}

function ensureRunDir(): void {
  const c = libc();
  mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  // Like iproute2: make the directory a shared mount point so that namespace
  // mounts propagate to other mount namespaces; bind it onto itself first
  // when it is not a mount point yet.
  if (c.mount("none", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, null) === 0) return;
  if (c.errno() !== EINVAL) return;
  check(c.mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, null), "mount", "bind");
  check(c.mount("none", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, null), "mount", "shared");
}

/**
 * Creates a named namespace (`ip netns add NAME`) and returns its handle.
 * Throws {@link NetlinkSocketError} with code EEXIST when it exists.
 */
export function createNetns(name: string): Netns {
  const ns = Netns.named(name);
  const path = netnsPath(ns)!;
  ensureRunDir();
  try {
    writeFileSync(path, "", { flag: "wx", mode: 0 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NetlinkSocketError("create", code === "EEXIST" ? 17 : 5, path);
  }
  const c = libc();
  const self = openSync("/proc/thread-self/ns/net", "r");
  try {
    check(c.unshare(CLONE_NEWNET), "unshare");
    try {
      check(c.mount("/proc/thread-self/ns/net", path, "none", MS_BIND, null), "mount", path);
    } finally {
      check(c.setns(self, CLONE_NEWNET), "setns", "back to own namespace");
    }
  } catch (e) {
    try {
      unlinkSync(path);
    } catch {
      // nothing to clean
    }
    throw e;
  } finally {
    closeSync(self);
  }
  return ns;
}

/** Deletes a named namespace (`ip netns del NAME`): unmounts and removes its handle. */
export function deleteNetns(name: string): void {
  const path = netnsPath(Netns.named(name))!;
  const c = libc();
  check(c.umount2(path, MNT_DETACH), "umount2", path);
  unlinkSync(path);
}

function sysctlPath(key: string): string {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(key) || key.includes("..")) {
    throw new NetlinkInputError(`bad sysctl key "${key}"`);
  }
  return `/proc/sys/${key.includes("/") ? key : key.replace(/\./g, "/")}`;
}

/**
 * Reads a sysctl inside `ns` (`ip netns exec NS sysctl -n KEY`). Keys use dots
 * ("net.ipv4.ip_forward") or slashes (for interface names with dots).
 */
export function readSysctl(ns: Netns, key: string): string {
  const path = sysctlPath(key);
  const fd = inNetns(ns, () => openSync(path, "r"));
  try {
    return readFileSync(fd, "utf8").trim();
  } finally {
    closeSync(fd);
  }
}

/** Writes a sysctl inside `ns` (`ip netns exec NS sysctl -w KEY=VALUE`). */
export function writeSysctl(ns: Netns, key: string, value: string | number): void {
  const path = sysctlPath(key);
  const fd = inNetns(ns, () => openSync(path, "w"));
  try {
    writeFileSync(fd, `${value}\n`);
  } finally {
    closeSync(fd);
  }
}
