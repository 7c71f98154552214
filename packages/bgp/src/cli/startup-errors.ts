// One line for every way `tortie-bgp` can fail to start: which address,
// port or path, and the likely cause — never a stack trace.
// Pure: errors in, text out.
import { ConfigError } from "../speaker/config.js";
import { SyscallError } from "../speaker/libc.js";

/** What the daemon was doing when the error came. */
export interface StartupContext {
  readonly configPath?: string;
  readonly listen?: { readonly address: string; readonly port: number } | false;
  readonly netns?: string;
  readonly socketPath?: string;
  readonly stage: "config" | "netns" | "listen" | "socket" | "start";
}

const ERRNO: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  13: "EACCES",
  22: "EINVAL",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
};

function hostPort(a: { address: string; port: number }): string {
  return a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function codeOf(e: unknown): string | undefined {
  if (e instanceof SyscallError) return ERRNO[e.errno] ?? `errno ${e.errno}`;
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** The one line `tortie-bgp` prints for a start-up failure. */
export function startupMessage(e: unknown, ctx: StartupContext): string {
  if (e instanceof ConfigError) {
    return `tortie-bgp: ${ctx.configPath ? `${ctx.configPath}: ` : ""}${e.message}`;
  }
  const code = codeOf(e);
  const text = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  switch (ctx.stage) {
    case "config": {
      const path = ctx.configPath ?? "(none)";
      if (code === "ENOENT")
        return `tortie-bgp: cannot read the configuration ${path}: no such file`;
      if (code === "EACCES")
        return `tortie-bgp: cannot read the configuration ${path}: permission denied`;
      if (code === "EISDIR")
        return `tortie-bgp: cannot read the configuration ${path}: it is a directory`;
      return `tortie-bgp: cannot parse the configuration ${path}: ${text}`;
    }
    case "netns": {
      const ns = ctx.netns ?? "";
      if (code === "ENOENT")
        return `tortie-bgp: network namespace ${ns} does not exist (create it with "ip netns add ${ns.split("/").pop()}", or give a path such as /proc/PID/ns/net)`;
      if (code === "EACCES" || code === "EPERM")
        return `tortie-bgp: cannot enter network namespace ${ns}: permission denied (needs root or CAP_SYS_ADMIN)`;
      return `tortie-bgp: cannot enter network namespace ${ns}: ${text}`;
    }
    case "listen": {
      const where = ctx.listen ? hostPort(ctx.listen) : "(no listener)";
      const inNs = ctx.netns ? ` in network namespace ${ctx.netns}` : "";
      if (code === "EADDRINUSE")
        return `tortie-bgp: cannot listen on ${where}${inNs}: address in use (is another BGP daemon — bird, bgpd, a second tortie-bgp — running? set listen.port, or listen: false)`;
      if (code === "EACCES" || code === "EPERM")
        return `tortie-bgp: cannot listen on ${where}${inNs}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
      if (code === "EADDRNOTAVAIL")
        return `tortie-bgp: cannot listen on ${where}${inNs}: the address is not assigned to any interface here`;
      return `tortie-bgp: cannot listen on ${where}${inNs}: ${text}`;
    }
    case "socket": {
      const path = ctx.socketPath ?? "";
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
      if (code === "ENOENT")
        return `tortie-bgp: cannot create the status socket ${path}: directory ${dir} does not exist (use --socket PATH)`;
      if (code === "EACCES" || code === "EPERM" || code === "EROFS")
        return `tortie-bgp: cannot create the status socket ${path}: directory ${dir} is not writable (use --socket PATH)`;
      if (code === "EADDRINUSE")
        return `tortie-bgp: cannot create the status socket ${path}: in use by a running tortie-bgp`;
      return `tortie-bgp: cannot create the status socket ${path}: ${text}`;
    }
    default:
      return `tortie-bgp: ${text}`;
  }
}
