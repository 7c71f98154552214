// A fresh network namespace per README example run, set up like a node: lo
// up, eth0 (a veth) with 192.0.2.1/24 and 2001:db8::1/64 and default routes
// through 192.0.2.254 / 2001:db8::fffe. Inside, the example runs in its own
// mount namespace (`ip netns exec` makes one) with private tmpfs over
// /run/netns and /var/lib/cni, so the namespaces it makes (`needs=netns:pod1`,
// createNetns) and the files CNI plugins keep never reach the host and vanish
// with it. Optionally an etcd on 127.0.0.1:2379 inside the namespace.
// Everything is removed after the run, on failure too, and on exit or a
// signal for runs still under way.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const live = new Set();
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const sb of live) destroySync(sb);
  });
  for (const sig of ["SIGINT", "SIGTERM"])
    process.once(sig, () => {
      for (const sb of live) destroySync(sb);
      process.exit(128 + (sig === "SIGINT" ? 2 : 15));
    });
}

const ip = (...argv) => execFileSync("ip", argv, { stdio: ["ignore", "pipe", "pipe"] });

/** Why examples cannot run here, or undefined. */
export function cannotSandbox() {
  if (process.getuid?.() !== 0) return "running README examples needs root (network namespaces)";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "running README examples needs iproute2 (`ip`)";
  }
  return undefined;
}

/** Creates a namespace named tortie-pc-<pid>-<random>, set up as a node. */
export function createSandbox() {
  hookExit();
  const name = `tortie-pc-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const sb = { name, dir: mkdtempSync(join(tmpdir(), `${name}-`)), etcd: undefined };
  ip("netns", "add", name);
  live.add(sb);
  try {
    const n = ["-n", name];
    ip(...n, "link", "set", "lo", "up");
    // a veth pair whose other end stays unused (the dummy driver is not in every kernel)
    ip(...n, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0");
    ip(...n, "link", "set", "lan0", "up");
    ip(...n, "address", "add", "192.0.2.1/24", "dev", "eth0");
    ip(...n, "address", "add", "2001:db8::1/64", "dev", "eth0", "nodad");
    ip(...n, "link", "set", "eth0", "up");
    ip(...n, "route", "add", "default", "via", "192.0.2.254");
    ip(...n, "-6", "route", "add", "default", "via", "2001:db8::fffe");
  } catch (e) {
    destroySync(sb);
    throw e;
  }
  return sb;
}

/** Kills whatever still runs in the namespace, deletes it and its files. */
export function destroySync(sb) {
  if (!live.has(sb)) return;
  live.delete(sb);
  try {
    sb.etcd?.kill("SIGKILL");
  } catch {}
  try {
    const pids = ip("netns", "pids", sb.name).toString().split("\n").filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {}
    }
  } catch {}
  for (let i = 0; i < 20; i++) {
    try {
      ip("netns", "del", sb.name);
      break;
    } catch {
      execFileSync("sleep", ["0.1"]);
    }
  }
  rmSync(sb.dir, { recursive: true, force: true });
}

// Runs "$@" in a private mount namespace (ip netns exec made it; nothing
// propagates back) with the namespaces it needs.
const SCRIPT = `set -e
mount --make-rprivate /
mount -t tmpfs tortie-pc /run/netns
mkdir -p /var/lib/cni && mount -t tmpfs tortie-pc /var/lib/cni
for n in $TORTIE_PC_NETNS; do ip netns add "$n"; done
unset TORTIE_PC_NETNS
exec "$@"`;

/**
 * Runs `argv` in the sandbox. `service`: passes when still running after
 * `serviceMs`, then stopped. Resolves {code, signal, stdout, stderr, timedOut, stillRunning}.
 */
export function runIn(
  sb,
  argv,
  { cwd, env = {}, stdin, namespaces = [], timeoutMs = 30_000, serviceMs } = {},
) {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", sb.name, "bash", "-c", SCRIPT, "bash", ...argv], {
      cwd,
      env: { ...process.env, ...env, TORTIE_PC_NETNS: namespaces.join(" ") },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let stillRunning = false;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdin.on("error", () => {});
    child.stdin.end(stdin ?? "");
    const limit = serviceMs ?? timeoutMs;
    const t = setTimeout(() => {
      if (serviceMs !== undefined) stillRunning = true;
      else timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    }, limit);
    child.on("close", (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr, timedOut, stillRunning });
    });
  });
}

/** Starts etcd on 127.0.0.1:2379 inside the sandbox and waits until it is healthy. */
export async function startEtcd(sb) {
  const data = join(sb.dir, "etcd");
  mkdirSync(data);
  const c = "http://127.0.0.1:2379";
  const p = "http://127.0.0.1:2380";
  let log = "";
  sb.etcd = spawn(
    "ip",
    [
      "netns",
      "exec",
      sb.name,
      "etcd",
      "--name=pack-check",
      `--data-dir=${data}`,
      `--listen-client-urls=${c}`,
      `--advertise-client-urls=${c}`,
      `--listen-peer-urls=${p}`,
      `--initial-advertise-peer-urls=${p}`,
      `--initial-cluster=pack-check=${p}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  sb.etcd.stdout.on("data", (d) => {
    log += d;
  });
  sb.etcd.stderr.on("data", (d) => {
    log += d;
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (sb.etcd.exitCode !== null)
      throw new Error(`etcd exited: ${log.split("\n").slice(-5).join(" ")}`);
    try {
      execFileSync(
        "ip",
        ["netns", "exec", sb.name, "etcdctl", `--endpoints=${c}`, "endpoint", "health"],
        { stdio: "ignore", env: { ...process.env, ETCDCTL_API: "3" } },
      );
      return c;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`etcd not healthy within 20 s: ${log.split("\n").slice(-5).join(" ")}`);
}
