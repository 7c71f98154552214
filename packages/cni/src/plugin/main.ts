// The `tortie` plugin on its real edges — rtnetlink, IPAM (delegated to a
// CNI IPAM plugin, or @tortie/ipam in-process), attachment records on disk,
// and the datastore when one is configured (loaded only then, to keep
// start-up short).

import { appendFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { Datastore } from "@tortie/datastore";
import { readAllStdin } from "../skel/process.js";
import { skel } from "../skel/skel.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import type { DatastoreConfig, TortieConfig } from "./config.js";
import { NetlinkDataplane } from "./dataplane.js";
import { DatastoreEndpoints, type EndpointSink } from "./endpoint.js";
import { DelegatedIpam, type PodIpam } from "./ipam.js";
import { FileAttachmentLocks } from "./locks.js";
import { createTortiePlugin, type TortieDeps } from "./plugin.js";
import { FileAttachmentStore } from "./state.js";
import { TortieIpam } from "./tortie-ipam.js";

/** The plugin's production edges; `close()` releases sockets and stores. */
export function defaultDeps(
  opts: { unlinkWorker?: URL } = {},
): TortieDeps & { close(): Promise<void> } {
  const dataplane = new NetlinkDataplane();
  if (opts.unlinkWorker) dataplane.useUnlinkWorkers(opts.unlinkWorker);
  const stores = new Map<string, Promise<Datastore>>();
  const ipams = new Map<string, PodIpam>();
  const sinks = new Map<string, EndpointSink>();
  // One store (and IPAM client) per datastore configuration for the life of
  // these edges: the helper serves every call with it. That is for cost, not
  // correctness: a store opened and closed per call works as well (30
  // concurrent ADDs, each with its own SqliteStore, lose nothing). The one
  // thing sharing exposes is @tortie/ipam's configuration cache (1 s): a client
  // that read "no pools" before a pool was applied re-reads the configuration
  // before answering "no IP pools are configured" (tested: "no pool yet then a
  // pool at once" in plugin.int.test.ts).
  const store = (ds: DatastoreConfig): Promise<Datastore> => {
    const k = JSON.stringify(ds);
    let s = stores.get(k);
    if (!s) {
      s = import("./store-client.js").then(async (m) => {
        if (ds.type !== "sqlite")
          return new m.EtcdStore({
            hosts: ds.endpoints,
            ...(ds.prefix ? { prefix: ds.prefix } : {}),
          });
        // a store on a fresh node: its folder may not exist yet
        mkdirSync(dirname(ds.path), { recursive: true, mode: 0o700 });
        return new m.SqliteStore({ path: ds.path }); // opens (or throws) here
      });
      stores.set(k, s);
      // a failed open is not remembered: the next call tries again
      s.catch(() => {
        if (stores.get(k) === s) stores.delete(k);
      });
    }
    return s;
  };
  const nodeOf = (cfg: TortieConfig) => cfg.nodename ?? hostname();
  return {
    dataplane,
    nodename: hostname,
    ipam: (cfg) => {
      const k = `${cfg.ipamType}\u0000${JSON.stringify(cfg.datastore ?? null)}\u0000${nodeOf(cfg)}`;
      let i = ipams.get(k);
      if (!i) {
        if (cfg.ipamType === "tortie") {
          const ds = cfg.datastore;
          if (!ds) {
            throw new CniError(
              ErrorCode.InvalidNetworkConfig,
              'ipam type "tortie" needs a "datastore"',
            );
          }
          let ipam: Promise<import("@tortie/ipam").Ipam> | undefined;
          i = new TortieIpam(() => {
            if (!ipam) {
              const p = Promise.all([import("./store-client.js"), store(ds)]).then(
                ([m, s]) => new m.Ipam({ store: s }),
              );
              ipam = p;
              p.catch(() => {
                if (ipam === p) ipam = undefined;
              });
            }
            return ipam;
          }, nodeOf(cfg));
        } else {
          i = new DelegatedIpam(cfg.ipamType);
        }
        ipams.set(k, i);
      }
      return i;
    },
    records: (cfg) => new FileAttachmentStore(cfg.dataDir),
    locks: (cfg) => new FileAttachmentLocks(cfg.dataDir),
    log: appendLog,
    endpoints: (cfg) => {
      const ds = cfg.datastore;
      if (!ds) return undefined;
      const k = JSON.stringify(ds);
      let s = sinks.get(k);
      if (!s) {
        let sink: Promise<DatastoreEndpoints> | undefined;
        const open = () => {
          if (!sink) {
            const p = store(ds).then((st) => new DatastoreEndpoints(st));
            sink = p;
            p.catch(() => {
              if (sink === p) sink = undefined;
            });
          }
          return sink;
        };
        s = {
          put: async (ep) => (await open()).put(ep),
          delete: async (...a) => (await open()).delete(...a),
          ping: async () => (await open()).ping(),
          close: async () => undefined,
        };
        sinks.set(k, s);
      }
      return s;
    },
    async close() {
      dataplane.close();
      for (const s of stores.values()) await (await s).close();
    },
  };
}

/** Appends a timestamped line to a log file (never throws: a log must not fail a call). */
export function appendLog(file: string, line: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${new Date().toISOString()} tortie[${process.pid}] ${line}\n`);
  } catch {
    // not writable: the runtime still gets the error on stdout and stderr
  }
}

/** The configuration's `logFile`, read from the request text if it is there. */
export function logFileOf(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as { logFile?: unknown } | null)?.logFile;
    return typeof v === "string" && v.startsWith("/") ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a failed call's error (its stderr, and the code from stdout) to the configured log. */
export function logFailure(
  env: Readonly<Record<string, string | undefined>>,
  stdin: string,
  stdout: string,
  stderr: string,
): void {
  const file = logFileOf(stdin);
  if (!file || !stderr.trim()) return;
  let code = "";
  try {
    code = ` code ${(JSON.parse(stdout) as { code?: number }).code}`;
  } catch {
    // no JSON on stdout
  }
  appendLog(
    file,
    `${env.CNI_COMMAND ?? ""} ${env.CNI_CONTAINERID ?? ""} ${env.CNI_IFNAME ?? ""} failed:${code} ${stderr.trim()}`,
  );
}

/** Runs the plugin as this process (stdin, stdout, stderr; failures also to the log file). */
export async function tortieMain(): Promise<number> {
  const deps = defaultDeps();
  try {
    const stdin = await readAllStdin();
    let out = "";
    let err = "";
    const t0 = process.env.TORTIE_CNI_T0;
    const code = await skel(createTortiePlugin(deps), {
      env: process.env,
      stdin,
      // the shim's start (it may have tried the helper first): a DEL begun later wins
      startedAt: t0 && /^\d{1,12}\.\d{1,9}$/.test(t0) ? Number(t0) * 1000 : performance.timeOrigin,
      stdout: (t) => {
        out += t;
        process.stdout.write(t);
      },
      stderr: (t) => {
        err += t;
        process.stderr.write(t);
      },
    });
    if (code !== 0) logFailure(process.env, stdin, out, err);
    process.exitCode = code;
    return code;
  } finally {
    await deps.close();
  }
}
