// Entry of the separately bundled datastore client (see bundle.ts): the
// plugin imports it only when its configuration names a datastore.
export { EtcdStore, SqliteStore } from "@tortie/datastore";
