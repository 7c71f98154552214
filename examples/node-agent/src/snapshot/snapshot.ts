// The one picture every room reads: the datastore's resources as typed
// values, rebuilt from key-value events (a listing, then watch events).
// Pure: no I/O. An invalid value never replaces the last good value of its
// key; it is kept as an issue (key, resource, field path, message) until the
// key is fixed or deleted.
//
// Keys watched (two prefixes, each with its own revision):
//   /calico/resources/v3/projectcalico.org/<plural>[/<ns>]/<name>  Calico v3 resources,
//       WorkloadEndpoints included (the CNI plugin writes them there, as
//       tortiectl and the policy engine read them through @tortie/api)
//   /tortie/ipam/v1/affinity/<host>/<block>                         block affinities (@tortie/ipam)
//
// Earlier CNI plugins also wrote a copy of each endpoint under
// /tortie/workloadendpoints/v1/; every plugin that did wrote the Calico
// resource in the same transaction, so there is nothing to migrate: the agent
// ignores that prefix, and the plugin's DEL removes such a copy when it finds one.
import {
  type CalicoKind,
  type CalicoResource,
  calicoKinds,
  ResourceValidationError,
  validateResource,
} from "@tortie/api";

/** Where Calico v3 resources live (ResourceClient's default root). */
export const RESOURCES_PREFIX = "/calico/resources/v3/projectcalico.org/";
/** Where WorkloadEndpoint resources live (@tortie/cni `CALICO_WORKLOAD_ENDPOINTS`). */
export const WORKLOAD_ENDPOINTS_PREFIX = `${RESOURCES_PREFIX}workloadendpoints/`;
/** Where @tortie/ipam keeps block affinities (`IpamKeys.affinityPrefix` with the default root). */
export const AFFINITY_PREFIX = "/tortie/ipam/v1/affinity/";

/** The prefixes the agent watches. */
export const WATCHED_PREFIXES = [RESOURCES_PREFIX, AFFINITY_PREFIX];

/** A workload endpoint as the agent uses it (from a Calico WorkloadEndpoint resource). */
export interface WorkloadEndpointInfo {
  /** The resource's datastore key. */
  readonly key: string;
  readonly node: string;
  readonly name: string;
  readonly namespace: string;
  /** Host end of the pod's veth. */
  readonly interfaceName: string;
  /** "198.51.100.7/32", "2001:db8::7/128". */
  readonly ipNetworks: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A block affinity (@tortie/ipam `Affinity`). */
export interface AffinityInfo {
  readonly host: string;
  readonly cidr: string;
  readonly state: "pending" | "confirmed";
}

/** A value that failed validation, reported with its field path. */
export interface SnapshotIssue {
  readonly key: string;
  /** "BGPPeer/rack1-tor" or the key when the kind is unknown. */
  readonly resource: string;
  /** Field path, "spec.asNumber" ("" for the whole value). */
  readonly path: string;
  readonly message: string;
}

/** Typed, validated resources by kind, keyed by name (namespace/name for namespaced kinds). */
export type ResourcesByKind = {
  readonly [K in CalicoKind]: ReadonlyMap<string, CalicoResource<K>>;
};

/** What the rooms read. */
export interface Snapshot {
  readonly resources: ResourcesByKind;
  readonly workloadEndpoints: ReadonlyMap<string, WorkloadEndpointInfo>;
  readonly affinities: ReadonlyMap<string, AffinityInfo>;
  readonly issues: readonly SnapshotIssue[];
}

type Decoded =
  | {
      readonly type: "resource";
      readonly kind: CalicoKind;
      readonly name: string;
      readonly value: CalicoResource;
      /** For a WorkloadEndpoint: what the rooms use of it. */
      readonly wep?: WorkloadEndpointInfo;
    }
  | { readonly type: "affinity"; readonly value: AffinityInfo };

const KIND_BY_PLURAL = new Map<string, CalicoKind>(
  (Object.keys(calicoKinds) as CalicoKind[]).map((k) => [calicoKinds[k].plural, k]),
);

class DecodeIssue extends Error {
  constructor(
    readonly resource: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new DecodeIssue(key, [{ path: "", message: `not JSON: ${(e as Error).message}` }]);
  }
}

const str = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/**
 * What the rooms need of a (valid) WorkloadEndpoint: its node, host
 * interface and addresses are optional in Calico's schema but required here
 * (without them there is nothing to route or police). Throws DecodeIssue.
 */
function workloadEndpointInfo(key: string, r: CalicoResource): WorkloadEndpointInfo {
  const w = r as CalicoResource<"WorkloadEndpoint">;
  const spec = w.spec;
  const issues: { path: string; message: string }[] = [];
  if (!str(spec.node)) issues.push({ path: "spec.node", message: "must be a node name" });
  if (!str(spec.interfaceName))
    issues.push({ path: "spec.interfaceName", message: "must be an interface name" });
  if (!spec.ipNetworks?.length)
    issues.push({ path: "spec.ipNetworks", message: "must be a list of CIDRs" });
  if (issues.length)
    throw new DecodeIssue(
      `WorkloadEndpoint/${w.metadata.namespace ?? "default"}/${w.metadata.name}`,
      issues,
    );
  return {
    key,
    node: spec.node!,
    name: w.metadata.name,
    namespace: w.metadata.namespace ?? "default",
    interfaceName: spec.interfaceName!,
    ipNetworks: spec.ipNetworks!,
    labels: w.metadata.labels ?? {},
  };
}

/** Decodes one key's value; undefined for keys the agent does not use. Throws DecodeIssue. */
function decode(key: string, value: string): Decoded | undefined {
  if (key.startsWith(RESOURCES_PREFIX)) {
    const rest = key.slice(RESOURCES_PREFIX.length).split("/");
    const kind = KIND_BY_PLURAL.get(rest[0] ?? "");
    if (!kind) return undefined;
    try {
      const r = validateResource(parseJson(key, value), key) as CalicoResource;
      if (r.kind !== kind)
        throw new DecodeIssue(`${kind}/${rest.at(-1)}`, [
          { path: "kind", message: `a ${r.kind} stored under ${kind}'s prefix` },
        ]);
      const m = r.metadata as { name: string; namespace?: string };
      const name = calicoKinds[kind].namespaced ? `${m.namespace ?? "default"}/${m.name}` : m.name;
      if (kind === "WorkloadEndpoint")
        return { type: "resource", kind, name, value: r, wep: workloadEndpointInfo(key, r) };
      return { type: "resource", kind, name, value: r };
    } catch (e) {
      // named by kind/name from the key, whatever the validator calls it
      if (e instanceof ResourceValidationError)
        throw new DecodeIssue(`${kind}/${rest.at(-1)}`, e.issues);
      throw e;
    }
  }
  if (key.startsWith(AFFINITY_PREFIX)) {
    const o = parseJson(key, value) as { host?: unknown; cidr?: unknown; state?: unknown } | null;
    if (!str(o?.host) || !str(o?.cidr) || (o.state !== "pending" && o.state !== "confirmed"))
      throw new DecodeIssue(`Affinity ${key}`, [
        { path: "", message: "must be {host, cidr, state: pending|confirmed}" },
      ]);
    return { type: "affinity", value: { host: o.host, cidr: o.cidr, state: o.state } };
  }
  return undefined;
}

function emptyKinds(): { [K in CalicoKind]: Map<string, CalicoResource<K>> } {
  const o: Record<string, Map<string, unknown>> = {};
  for (const k of Object.keys(calicoKinds)) o[k] = new Map();
  return o as never;
}

/** What one change did to the snapshot. */
export interface ChangeSummary {
  /** Kinds whose resources changed ("Affinity" for block affinities). */
  readonly kinds: ReadonlySet<string>;
  /** Issues that appeared with this change. */
  readonly newIssues: readonly SnapshotIssue[];
}

/**
 * The snapshot under construction: apply listings and events, read the
 * current {@link Snapshot}. A class because it holds state; all methods are
 * pure computation.
 */
export class SnapshotBuilder {
  private readonly byKey = new Map<string, Decoded>();
  private readonly kinds = emptyKinds();
  private readonly weps = new Map<string, WorkloadEndpointInfo>();
  private readonly affs = new Map<string, AffinityInfo>();
  private readonly issueByKey = new Map<string, SnapshotIssue[]>();

  /** Replaces everything under `prefix` with a listing (after a (re)connect or compaction). */
  replacePrefix(prefix: string, kvs: readonly { key: string; value: string }[]): ChangeSummary {
    const kinds = new Set<string>();
    const newIssues: SnapshotIssue[] = [];
    const present = new Set(kvs.map((kv) => kv.key));
    for (const key of [...this.byKey.keys(), ...this.issueByKey.keys()])
      if (key.startsWith(prefix) && !present.has(key)) this.remove(key, kinds);
    for (const kv of kvs) this.put(kv.key, kv.value, kinds, newIssues);
    return { kinds, newIssues };
  }

  /** Applies watch events in order. */
  apply(
    events: readonly (
      | { type: "put"; key: string; value: string }
      | { type: "delete"; key: string }
    )[],
  ): ChangeSummary {
    const kinds = new Set<string>();
    const newIssues: SnapshotIssue[] = [];
    for (const e of events) {
      if (e.type === "put") this.put(e.key, e.value, kinds, newIssues);
      else this.remove(e.key, kinds);
    }
    return { kinds, newIssues };
  }

  private put(key: string, value: string, kinds: Set<string>, newIssues: SnapshotIssue[]): void {
    let d: Decoded | undefined;
    try {
      d = decode(key, value);
    } catch (e) {
      const di =
        e instanceof DecodeIssue
          ? e
          : new DecodeIssue(key, [{ path: "", message: (e as Error).message }]);
      const issues = di.issues.map((i) => ({ key, resource: di.resource, ...i }));
      const before = JSON.stringify(this.issueByKey.get(key) ?? []);
      this.issueByKey.set(key, issues);
      if (JSON.stringify(issues) !== before) newIssues.push(...issues);
      return; // the last good value stays
    }
    this.issueByKey.delete(key);
    if (!d) return;
    const old = this.byKey.get(key);
    if (old && JSON.stringify(old.value) === JSON.stringify(d.value)) return;
    if (old) this.drop(key, old, kinds);
    this.byKey.set(key, d);
    if (d.type === "resource") {
      (this.kinds[d.kind] as Map<string, CalicoResource>).set(d.name, d.value);
      if (d.wep) this.weps.set(key, d.wep);
      kinds.add(d.kind);
    } else {
      this.affs.set(key, d.value);
      kinds.add("Affinity");
    }
  }

  private remove(key: string, kinds: Set<string>): void {
    this.issueByKey.delete(key);
    const old = this.byKey.get(key);
    if (old) this.drop(key, old, kinds);
  }

  private drop(key: string, d: Decoded, kinds: Set<string>): void {
    this.byKey.delete(key);
    if (d.type === "resource") {
      (this.kinds[d.kind] as Map<string, CalicoResource>).delete(d.name);
      this.weps.delete(key);
      kinds.add(d.kind);
    } else {
      this.affs.delete(key);
      kinds.add("Affinity");
    }
  }

  /** The current snapshot (a read-only view over live maps: read it, don't keep it across changes). */
  snapshot(): Snapshot {
    return {
      resources: this.kinds,
      workloadEndpoints: this.weps,
      affinities: this.affs,
      issues: [...this.issueByKey.values()].flat(),
    };
  }
}
