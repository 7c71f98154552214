// Prerequisites of integration suites: root, and the daemons and tools a suite
// drives. With CI=true a missing prerequisite fails the run loudly; elsewhere
// the suite is skipped with a one-line reason (`describe.skipIf(reason)`).
import { accessSync, constants } from "node:fs";

/** Things an integration suite can need. */
export type Prereq =
  | "root"
  | "netns"
  | "bird"
  | "frr"
  | "gobgp"
  | "exabgp"
  | "etcd"
  | "cni-plugins"
  | "nft"
  | "iptables"
  | "tcpdump"
  | "haproxy";

const BINARIES: Record<Exclude<Prereq, "root" | "netns">, readonly string[]> = {
  bird: ["/usr/sbin/bird", "/usr/sbin/birdc"],
  frr: ["/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", "/usr/bin/vtysh"],
  gobgp: ["/usr/bin/gobgpd", "/usr/bin/gobgp"],
  exabgp: ["/usr/sbin/exabgp"],
  etcd: ["/usr/bin/etcd", "/usr/bin/etcdctl"],
  "cni-plugins": ["/usr/lib/cni/ptp", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap"],
  nft: ["/usr/sbin/nft"],
  iptables: ["/usr/sbin/iptables-restore"],
  tcpdump: ["/usr/bin/tcpdump"],
  haproxy: ["/usr/sbin/haproxy"],
};

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The missing prerequisites among `needs`, each with why. */
export function missingPrereqs(needs: readonly Prereq[]): string[] {
  const missing: string[] = [];
  const isRoot = process.getuid?.() === 0;
  for (const n of needs) {
    if (n === "root" || n === "netns") {
      if (!isRoot) missing.push(`${n} (needs root)`);
      else if (n === "netns" && !executable("/usr/sbin/ip") && !executable("/sbin/ip")) {
        missing.push("netns (no ip command)");
      }
      continue;
    }
    const absent = BINARIES[n].filter((b) => !executable(b));
    if (absent.length) missing.push(`${n} (${absent.join(", ")} missing)`);
  }
  return missing;
}

/** True when running under CI (CI=true or CI=1). */
export const inCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? "");

/**
 * Checks an integration suite's prerequisites. Returns undefined when all are
 * there; otherwise, in CI, throws; elsewhere returns the reason to skip:
 *
 * ```ts
 * const skip = requirePrereqs(["root", "bird"]);
 * describe.skipIf(skip)("bird interop", () => { ... });
 * ```
 */
export function requirePrereqs(needs: readonly Prereq[]): string | undefined {
  const missing = missingPrereqs(needs);
  if (missing.length === 0) return undefined;
  const reason = `missing prerequisites: ${missing.join("; ")} — run as root after scripts/install-system.sh`;
  if (inCI()) throw new Error(`CI: ${reason}`);
  console.warn(`skipping: ${reason}`);
  return reason;
}
