// Records of the plugin's attachments on this host, one small JSON file per
// (network, container id, interface) — the spec's primary key for plugin
// state. ADD writes the record before touching anything (so GC can finish a
// crashed ADD), DEL removes it last, GC walks them.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One attachment as the plugin remembers it. */
export interface AttachmentRecord {
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly netns: string;
  readonly hostVeth: string;
  /** "adding" until ADD has finished. */
  readonly phase: "adding" | "added";
  /** The addresses given to the pod. */
  readonly ips: readonly string[];
  /** The CNI_* environment and stdin of the ADD, to replay DEL to the IPAM plugin. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

/** Where records are kept. */
export interface AttachmentStore {
  put(r: AttachmentRecord): void;
  get(network: string, containerId: string, ifname: string): AttachmentRecord | undefined;
  delete(network: string, containerId: string, ifname: string): void;
  list(network: string): AttachmentRecord[];
}

// container ids may contain "." and "-", interface names anything but "/", ":" and spaces
const file = (containerId: string, ifname: string) => `${containerId}_${ifname}.json`;

/** Records as files under `dir/<network>/`. */
export class FileAttachmentStore implements AttachmentStore {
  constructor(readonly dir: string) {}

  put(r: AttachmentRecord): void {
    const d = join(this.dir, r.network);
    mkdirSync(d, { recursive: true });
    const f = join(d, file(r.containerId, r.ifname));
    writeFileSync(`${f}.${process.pid}.tmp`, JSON.stringify(r));
    renameSync(`${f}.${process.pid}.tmp`, f);
  }

  get(network: string, containerId: string, ifname: string): AttachmentRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, network, file(containerId, ifname)), "utf8"));
    } catch {
      return undefined;
    }
  }

  delete(network: string, containerId: string, ifname: string): void {
    rmSync(join(this.dir, network, file(containerId, ifname)), { force: true });
  }

  list(network: string): AttachmentRecord[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, network));
    } catch {
      return [];
    }
    const out: AttachmentRecord[] = [];
    for (const n of names) {
      if (!n.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, network, n), "utf8")));
      } catch {
        // a torn or foreign file: skip
      }
    }
    return out;
  }
}
