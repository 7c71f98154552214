// Files `tortie-cni` reads and writes: network configurations found by name
// in NETCONFPATH (as libcni's LoadConfList does: *.conf, *.conflist, *.json,
// first match in name order), and the cache of ADD results that CHECK, DEL
// and GC need (keyed by network, container id and interface, as the spec's
// attachment is).

import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type NetworkConfigList, parseNetworkConfig } from "../spec/config.js";
import { CniError, ErrorCode } from "../spec/errors.js";

/** Loads `net`: a file path, or the network of that name in `dirs`. */
export function loadNetwork(net: string, dirs: readonly string[]): NetworkConfigList {
  if (net.includes("/") || /\.(conf|conflist|json)$/.test(net)) {
    let text: string;
    try {
      text = readFileSync(net, "utf8");
    } catch (e) {
      throw new CniError(ErrorCode.IoFailure, `cannot read ${net}`, (e as Error).message);
    }
    return parseNetworkConfig(text);
  }
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      if (!/\.(conf|conflist|json)$/.test(f)) continue;
      try {
        const list = parseNetworkConfig(readFileSync(join(dir, f), "utf8"));
        if (list.name === net) return list;
      } catch {
        // an unreadable or invalid file is not the one we look for
      }
    }
  }
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `no network configuration named "${net}" in [${dirs.join(", ")}]`,
  );
}

/** One cached attachment. */
export interface CachedAttachment {
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly netns: string;
  /** The final ADD result JSON. */
  readonly result: unknown;
  /** CNI_ARGS and capability arguments of the ADD, reused by CHECK and DEL. */
  readonly args?: readonly (readonly [string, string])[];
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
}

const fileName = (dir: string, network: string, containerId: string, ifname: string) =>
  join(dir, "results", `${network}-${containerId}-${ifname}`);

/** The ADD result cache. */
export class ResultCache {
  constructor(readonly dir: string) {}

  /** Stores an attachment's result (atomically). */
  put(a: CachedAttachment): void {
    const f = fileName(this.dir, a.network, a.containerId, a.ifname);
    mkdirSync(join(this.dir, "results"), { recursive: true });
    writeFileSync(`${f}.tmp`, JSON.stringify(a));
    renameSync(`${f}.tmp`, f);
  }

  /** The cached attachment, or undefined. */
  get(network: string, containerId: string, ifname: string): CachedAttachment | undefined {
    try {
      return JSON.parse(readFileSync(fileName(this.dir, network, containerId, ifname), "utf8"));
    } catch {
      return undefined;
    }
  }

  /** Forgets an attachment (no error when absent). */
  delete(network: string, containerId: string, ifname: string): void {
    rmSync(fileName(this.dir, network, containerId, ifname), { force: true });
  }

  /** Every cached attachment of `network`. */
  list(network: string): CachedAttachment[] {
    let files: string[];
    try {
      files = readdirSync(join(this.dir, "results"));
    } catch {
      return [];
    }
    const out: CachedAttachment[] = [];
    for (const f of files) {
      if (!f.startsWith(`${network}-`) || f.endsWith(".tmp")) continue;
      try {
        const p = join(this.dir, "results", f);
        if (!statSync(p).isFile()) continue;
        const a = JSON.parse(readFileSync(p, "utf8")) as CachedAttachment;
        if (a.network === network) out.push(a);
      } catch {
        // skip unreadable entries
      }
    }
    return out;
  }
}
