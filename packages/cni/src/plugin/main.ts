// The `tortie` plugin on its real edges — rtnetlink, IPAM (delegated to a
// CNI IPAM plugin, or @tortie/ipam in-process), attachment records on disk,
// and the datastore when one is configured (loaded only then, to keep
// start-up short).

import { hostname } from "node:os";
import type { Datastore } from "@tortie/datastore";
import { pluginMain } from "../skel/process.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import type { DatastoreConfig, TortieConfig } from "./config.js";
import { NetlinkDataplane } from "./dataplane.js";
import { DatastoreEndpoints, type EndpointSink } from "./endpoint.js";
import { DelegatedIpam, type PodIpam } from "./ipam.js";
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
      s = import("./store-client.js").then((m) =>
        ds.type === "sqlite"
          ? new m.SqliteStore({ path: ds.path })
          : new m.EtcdStore({ hosts: ds.endpoints, ...(ds.prefix ? { prefix: ds.prefix } : {}) }),
      );
      stores.set(k, s);
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
            ipam ??= Promise.all([import("./store-client.js"), store(ds)]).then(
              ([m, s]) => new m.Ipam({ store: s }),
            );
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
    endpoints: (cfg) => {
      const ds = cfg.datastore;
      if (!ds) return undefined;
      const k = JSON.stringify(ds);
      let s = sinks.get(k);
      if (!s) {
        let sink: Promise<DatastoreEndpoints> | undefined;
        const open = () => {
          sink ??= store(ds).then((st) => new DatastoreEndpoints(st));
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

/** Runs the plugin as this process. */
export async function tortieMain(): Promise<number> {
  const deps = defaultDeps();
  try {
    return await pluginMain(createTortiePlugin(deps));
  } finally {
    await deps.close();
  }
}
