// The `tortie` plugin executable: the plugin on its real edges — rtnetlink,
// delegated IPAM, attachment records on disk, and the datastore when one is
// configured (loaded only then, to keep start-up short).

import { pluginMain } from "../skel/process.js";
import type { TortieConfig } from "./config.js";
import { NetlinkDataplane } from "./dataplane.js";
import type { EndpointSink } from "./endpoint.js";
import { DelegatedIpam, type PodIpam } from "./ipam.js";
import { createTortiePlugin, type TortieDeps } from "./plugin.js";
import { FileAttachmentStore } from "./state.js";

/** An endpoint sink that opens the configured datastore on first use. */
function lazyEndpoints(cfg: NonNullable<TortieConfig["datastore"]>): EndpointSink {
  let sink: Promise<EndpointSink> | undefined;
  const open = () => {
    sink ??= (async () => {
      const ds = await import("@tortie/datastore");
      const { DatastoreEndpoints } = await import("./endpoint.js");
      const store =
        cfg.type === "sqlite"
          ? new ds.SqliteStore({ path: cfg.path })
          : new ds.EtcdStore({
              hosts: cfg.endpoints,
              ...(cfg.prefix ? { prefix: cfg.prefix } : {}),
            });
      return new DatastoreEndpoints(store);
    })();
    return sink;
  };
  return {
    put: async (ep) => (await open()).put(ep),
    delete: async (...a) => (await open()).delete(...a),
    ping: async () => (await open()).ping(),
    close: async () => {
      if (sink) await (await sink).close();
    },
  };
}

/** The plugin's production edges. */
export function defaultDeps(): TortieDeps & { close(): Promise<void> } {
  const dataplane = new NetlinkDataplane();
  const ipams = new Map<string, PodIpam>();
  const sinks = new Map<string, EndpointSink>();
  return {
    dataplane,
    ipam: (cfg) => {
      let i = ipams.get(cfg.ipamType);
      if (!i) {
        i = new DelegatedIpam(cfg.ipamType);
        ipams.set(cfg.ipamType, i);
      }
      return i;
    },
    records: (cfg) => new FileAttachmentStore(cfg.dataDir),
    endpoints: (cfg) => {
      if (!cfg.datastore) return undefined;
      const k = JSON.stringify(cfg.datastore);
      let s = sinks.get(k);
      if (!s) {
        s = lazyEndpoints(cfg.datastore);
        sinks.set(k, s);
      }
      return s;
    },
    async close() {
      dataplane.close();
      for (const s of sinks.values()) await s.close();
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
