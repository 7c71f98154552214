// Which datastore tortiectl talks to, chosen as calicoctl chooses it:
//   1. flags (--datastore-type, --etcd-endpoints, --datastore-path),
//   2. environment (DATASTORE_TYPE, ETCD_ENDPOINTS, TORTIE_DATASTORE_PATH —
//      the same variables the node agent reads),
//   3. a config file (--config, default /etc/tortie/tortiectl.cfg) in
//      calicoctl's CalicoAPIConfig shape,
//   4. the embedded store at /var/lib/tortie/store.db (the default that the
//      node agent and the CNI plugin use too).
// The config file is strict: an unknown key is an error naming its path and
// the closest valid key, so a typo never sends writes to another store.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Datastore, EtcdStore, SqliteStore } from "@tortie/datastore";
import { parse as parseYaml } from "yaml";
import { CommandError, UsageError } from "./errors.js";
import { closest } from "./suggest.js";

/** The embedded store's default file, shared with the agent and CNI plugin. */
export const DEFAULT_STORE_PATH = "/var/lib/tortie/store.db";
/** calicoctl keeps /etc/calico/calicoctl.cfg; tortiectl the same shape here. */
export const DEFAULT_CONFIG_PATH = "/etc/tortie/tortiectl.cfg";

/** The resolved choice. */
export type DatastoreChoice =
  | { readonly type: "embedded"; readonly path: string }
  | { readonly type: "etcdv3"; readonly endpoints: readonly string[] };

/** What the global flags carried. */
export interface DatastoreFlags {
  readonly datastoreType?: string;
  readonly etcdEndpoints?: string;
  readonly datastorePath?: string;
  readonly config?: string;
}

const SPEC_KEYS = ["datastoreType", "etcdEndpoints", "datastorePath"] as const;
const TOP_KEYS = ["apiVersion", "kind", "metadata", "spec"] as const;

/** Resolves the datastore from flags, environment and config file. */
export function chooseDatastore(
  flags: DatastoreFlags,
  env: Readonly<Record<string, string | undefined>>,
): DatastoreChoice {
  const file = readConfig(flags.config, env);
  const type = flags.datastoreType ?? env.DATASTORE_TYPE ?? file.datastoreType ?? "embedded";
  // The node agent calls the embedded store "sqlite"; both names work.
  const norm = type === "etcd" ? "etcdv3" : type === "sqlite" ? "embedded" : type;
  if (norm === "embedded") {
    return {
      type: "embedded",
      path:
        flags.datastorePath ??
        env.TORTIE_DATASTORE_PATH ??
        file.datastorePath ??
        DEFAULT_STORE_PATH,
    };
  }
  if (norm === "etcdv3") {
    const raw = flags.etcdEndpoints ?? env.ETCD_ENDPOINTS ?? file.etcdEndpoints;
    if (!raw)
      throw new UsageError("datastore type etcdv3 needs ETCD_ENDPOINTS (or --etcd-endpoints)");
    const endpoints = raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const e of endpoints) {
      if (!/^https?:\/\/[^\s/]+$/.test(e)) {
        throw new UsageError(
          `etcd endpoint ${JSON.stringify(e)} is not of the form http://host:port`,
        );
      }
    }
    return { type: "etcdv3", endpoints };
  }
  throw new UsageError(
    `unknown datastore type ${JSON.stringify(type)}; valid: embedded, etcdv3${hint(type, ["embedded", "etcdv3"])}`,
  );
}

/**
 * Opens the chosen store. An embedded store is created only by commands that
 * write (`create: true`); a command that only reads refuses a missing file,
 * so a mistyped path never shows an empty cluster as if it were real.
 */
export function openDatastore(choice: DatastoreChoice, opts: { create: boolean }): Datastore {
  if (choice.type === "etcdv3") return new EtcdStore({ hosts: [...choice.endpoints] });
  if (!existsSync(choice.path)) {
    if (!opts.create) {
      throw new CommandError(
        `the embedded store ${choice.path} does not exist (no resources applied yet, or a wrong --datastore-path / TORTIE_DATASTORE_PATH)`,
      );
    }
    mkdirSync(dirname(choice.path), { recursive: true, mode: 0o700 });
  }
  return new SqliteStore({ path: choice.path });
}

/** Says where the store is, for `version` and diagnostics. */
export function describeDatastore(choice: DatastoreChoice): string {
  return choice.type === "embedded"
    ? `embedded (${choice.path})`
    : `etcdv3 (${choice.endpoints.join(",")})`;
}

function readConfig(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { datastoreType?: string; etcdEndpoints?: string; datastorePath?: string } {
  const p = path ?? env.TORTIECTL_CONFIG ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(p)) {
    if (path !== undefined) throw new UsageError(`config file ${p} does not exist`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(p, "utf8"));
  } catch (e) {
    throw new UsageError(`config file ${p}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(`config file ${p}: expected a CalicoAPIConfig mapping`);
  }
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) {
      throw new UsageError(`config file ${p}: unknown key "${k}"${hint(k, TOP_KEYS)}`);
    }
  }
  if (top.kind !== undefined && top.kind !== "CalicoAPIConfig") {
    throw new UsageError(
      `config file ${p}: kind must be CalicoAPIConfig, not ${JSON.stringify(top.kind)}`,
    );
  }
  const spec = (top.spec ?? {}) as Record<string, unknown>;
  const out: { datastoreType?: string; etcdEndpoints?: string; datastorePath?: string } = {};
  for (const [k, v] of Object.entries(spec)) {
    if (!(SPEC_KEYS as readonly string[]).includes(k)) {
      throw new UsageError(`config file ${p}: unknown key "spec.${k}"${hint(k, SPEC_KEYS)}`);
    }
    if (typeof v !== "string") throw new UsageError(`config file ${p}: spec.${k} must be a string`);
    out[k as (typeof SPEC_KEYS)[number]] = v;
  }
  return out;
}

function hint(word: string, valid: readonly string[]): string {
  const c = closest(word, valid);
  return c ? ` (did you mean "${c}"?)` : "";
}
