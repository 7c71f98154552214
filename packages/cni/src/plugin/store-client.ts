// What the plugin loads only when a configuration names a datastore or
// Tortie IPAM: the store backends and the IPAM client. The bundles keep it in
// a sibling file (see bundle.ts), so the common path does not parse it.
export { EtcdStore, SqliteStore } from "@tortie/datastore";
export { Ipam, IpamError, usage } from "@tortie/ipam";
