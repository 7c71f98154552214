// A typed resource client over a @tortie/datastore store, in Calico's etcd
// key layout (libcalico-go `lib/backend/model/resource.go`):
//   /calico/resources/v3/projectcalico.org/<plural>[/<namespace>]/<name>
// Kubernetes kinds live beside them under their own group
// (`networking.k8s.io`, `core` for v1). `metadata.resourceVersion` is the
// key's modRevision, so an update is a compare-and-swap on what was read.
// Every value read back is validated again: a bad stored value is an error
// naming its key (or, in a watch, an `invalid` event), never a crash.
import {
  type Datastore,
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  RevisionMismatchError,
  type Watch,
} from "@tortie/datastore";
import { ResourceValidationError } from "./errors.js";
import { validateResource } from "./load.js";
import {
  allKinds,
  CALICO_API,
  type CalicoKind,
  type CalicoResource,
  type KindInfo,
  kindInfo,
  type Resource,
} from "./registry.js";
import { name, objectMeta } from "./schema/common.js";

/** What identifies a resource. */
export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** For namespaced kinds (default "default"); ignored for cluster-wide kinds. */
  readonly namespace?: string | undefined;
}

/** A change seen by {@link ResourceClient.watch}. */
export type ResourceEvent =
  | { readonly type: "put"; readonly resource: Resource; readonly revision: number }
  | { readonly type: "delete"; readonly ref: ResourceRef; readonly revision: number }
  /** A stored value that does not validate: reported, skipped, the watch goes on. */
  | {
      readonly type: "invalid";
      readonly key: string;
      readonly error: Error;
      readonly revision: number;
    };

/** Callbacks of {@link ResourceClient.watch}. */
export interface ResourceWatchListener {
  onEvents(events: readonly ResourceEvent[]): void;
  /** The start revision was compacted: re-list, then watch from the listing's revision + 1. */
  onCompacted?(compactRevision: number): void;
  onError?(error: Error): void;
}

/** Options of {@link ResourceClient}. */
export interface ResourceClientOptions {
  /** Key root (default "/calico/resources/v3/"). */
  readonly root?: string;
}

function mustKnow(apiVersion: string, kind: string): KindInfo {
  const info = kindInfo(apiVersion, kind);
  if (!info) {
    throw new ResourceValidationError(`${kind}`, [
      { path: "kind", message: `unknown apiVersion/kind ${apiVersion} ${kind}` },
    ]);
  }
  return info;
}

const groupOf = (apiVersion: string) =>
  apiVersion.includes("/") ? apiVersion.split("/")[0]! : "core";

/** Typed get/list/create/update/apply/delete/watch of resources in a datastore. */
export class ResourceClient {
  /** Key root, ending in "/". */
  readonly root: string;

  constructor(
    readonly store: Datastore,
    /** Options, or the key root alone (as `@tortie/datastore`'s client took it). */
    opts: ResourceClientOptions | string = {},
  ) {
    this.root = (typeof opts === "string" ? opts : opts.root) ?? "/calico/resources/v3/";
    if (!this.root.endsWith("/")) throw new TypeError(`root must end with "/": ${this.root}`);
  }

  /** The key prefix of a kind (in one namespace, or all namespaces when `namespace` is undefined). */
  prefixOf(apiVersion: string, kind: string, namespace?: string): string {
    const info = mustKnow(apiVersion, kind);
    const ns = info.namespaced && namespace !== undefined ? `${namespace}/` : "";
    return `${this.root}${groupOf(apiVersion)}/${info.plural}/${ns}`;
  }

  /** The key of a resource; names that are not Kubernetes names are refused (no `/`, no `..`). */
  keyOf(ref: ResourceRef): string {
    const info = mustKnow(ref.apiVersion, ref.kind);
    const ns = info.namespaced ? (ref.namespace ?? "default") : undefined;
    const bad = [
      ...(name.safeParse(ref.name).success
        ? []
        : [{ path: "metadata.name", message: `not a resource name: ${JSON.stringify(ref.name)}` }]),
      ...(ns === undefined || objectMeta.shape.namespace.safeParse(ns).success
        ? []
        : [{ path: "metadata.namespace", message: `not a namespace name: ${JSON.stringify(ns)}` }]),
    ];
    if (bad.length) throw new ResourceValidationError(`${ref.kind} ${ref.name}`, bad);
    return `${this.prefixOf(ref.apiVersion, ref.kind, ns)}${ref.name}`;
  }

  /** The ref of a key under this client's root, if it names a known kind. */
  refOfKey(key: string): ResourceRef | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const parts = key.slice(this.root.length).split("/");
    const [group, plural] = parts;
    const info = [...kindsByPlural(group!, plural!)][0];
    if (!info) return undefined;
    if (info.namespaced && parts.length === 4) {
      return {
        apiVersion: info.apiVersion,
        kind: info.kind,
        namespace: parts[2]!,
        name: parts[3]!,
      };
    }
    if (!info.namespaced && parts.length === 3) {
      return { apiVersion: info.apiVersion, kind: info.kind, name: parts[2]! };
    }
    return undefined;
  }

  private refOf(r: Resource): ResourceRef {
    const m = r.metadata as { name: string; namespace?: string };
    return { apiVersion: r.apiVersion, kind: r.kind, name: m.name, namespace: m.namespace };
  }

  private decode(kv: KeyValue): Resource {
    let raw: unknown;
    try {
      raw = JSON.parse(kv.value);
    } catch (e) {
      throw new ResourceValidationError(kv.key, [
        { path: "", message: `stored value is not JSON: ${(e as Error).message}` },
      ]);
    }
    const r = validateResource(raw, kv.key);
    const got = this.refOf(r);
    if (this.refOfKey(kv.key) && this.keyOf(got) !== kv.key) {
      throw new ResourceValidationError(kv.key, [
        {
          path: "metadata",
          message: `stored resource ${got.kind} ${got.namespace ? `${got.namespace}/` : ""}${got.name} does not match its key`,
        },
      ]);
    }
    return {
      ...r,
      metadata: { ...r.metadata, resourceVersion: String(kv.modRevision) },
    } as Resource;
  }

  private encode(r: Resource): string {
    const { resourceVersion: _rv, ...metadata } = r.metadata as Record<string, unknown>;
    return JSON.stringify({ ...r, metadata });
  }

  /** Creates a resource; throws {@link KeyExistsError} if it exists. */
  async create(input: unknown): Promise<Resource> {
    const r = validateResource(input);
    return this.decode(await this.store.create(this.keyOf(this.refOf(r)), this.encode(r)));
  }

  /**
   * Replaces a resource. With `metadata.resourceVersion`, only if unchanged
   * since (else {@link RevisionMismatchError}); without, whatever is stored.
   * Throws {@link KeyNotFoundError} when absent.
   */
  async update(input: unknown): Promise<Resource> {
    const r = validateResource(input);
    const key = this.keyOf(this.refOf(r));
    const rv = (r.metadata as { resourceVersion?: string }).resourceVersion;
    let expected: number | undefined;
    if (rv !== undefined) {
      expected = Number(rv);
      if (!Number.isSafeInteger(expected) || expected <= 0) {
        throw new ResourceValidationError(key, [
          { path: "metadata.resourceVersion", message: `not a revision: ${JSON.stringify(rv)}` },
        ]);
      }
    } else expected = (await this.store.get(key))?.modRevision;
    if (expected === undefined) throw new KeyNotFoundError(key);
    return this.decode(await this.store.update(key, this.encode(r), expected));
  }

  /** Creates or replaces, ignoring any resourceVersion (calicoctl apply). */
  async apply(input: unknown): Promise<Resource> {
    const r = validateResource(input);
    const { resourceVersion: _rv, ...metadata } = r.metadata as Record<string, unknown>;
    const plain = { ...r, metadata };
    for (let i = 0; i < 16; i++) {
      try {
        return await this.create(plain);
      } catch (e) {
        if (!(e instanceof KeyExistsError)) throw e;
      }
      try {
        return await this.update(plain);
      } catch (e) {
        if (!(e instanceof KeyNotFoundError || e instanceof RevisionMismatchError)) throw e;
      }
    }
    throw new RevisionMismatchError(this.keyOf(this.refOf(r)), 0, undefined);
  }

  /** Reads a resource; undefined when absent. */
  async get(ref: ResourceRef): Promise<Resource | undefined> {
    const kv = await this.store.get(this.keyOf(ref));
    return kv ? this.decode(kv) : undefined;
  }

  /** Lists a kind (in one namespace, or all). */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<Resource[]> {
    return (await this.listAt(apiVersion, kind, namespace)).items;
  }

  /** Lists a kind with the store revision it was read at (watch from revision + 1). */
  async listAt(
    apiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<{ items: Resource[]; revision: number }> {
    const prefix = this.prefixOf(apiVersion, kind, namespace);
    const r = await this.store.list(prefix);
    // A namespace-wide prefix of one kind must not pick up deeper keys of another layout.
    const items = r.kvs
      .filter((kv) => this.refOfKey(kv.key)?.kind === kind)
      .map((kv) => this.decode(kv));
    return { items, revision: r.revision };
  }

  /**
   * Deletes a resource; with `resourceVersion`, only if unchanged since.
   * Returns false when it was absent.
   */
  async delete(ref: ResourceRef, resourceVersion?: string): Promise<boolean> {
    return this.store.delete(
      this.keyOf(ref),
      resourceVersion === undefined ? undefined : Number(resourceVersion),
    );
  }

  /** Watches a kind (in one namespace, or all), delivering typed events. */
  watch(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; startRevision?: number },
    listener: ResourceWatchListener,
  ): Watch {
    const prefix = this.prefixOf(apiVersion, kind, opts.namespace);
    return this.store.watch(
      prefix,
      opts.startRevision === undefined ? {} : { startRevision: opts.startRevision },
      {
        onEvents: (events) => {
          const out: ResourceEvent[] = [];
          for (const e of events) {
            if (e.type === "delete") {
              const ref = this.refOfKey(e.key);
              if (ref?.kind === kind) out.push({ type: "delete", ref, revision: e.revision });
              continue;
            }
            if (this.refOfKey(e.kv.key)?.kind !== kind) continue;
            try {
              out.push({ type: "put", resource: this.decode(e.kv), revision: e.revision });
            } catch (err) {
              out.push({
                type: "invalid",
                key: e.kv.key,
                error: err as Error,
                revision: e.revision,
              });
            }
          }
          if (out.length) listener.onEvents(out);
        },
        ...(listener.onCompacted ? { onCompacted: (r: number) => listener.onCompacted!(r) } : {}),
        ...(listener.onError ? { onError: (e: Error) => listener.onError!(e) } : {}),
      },
    );
  }

  /** A client for one Calico kind, typed by it. */
  calico<K extends CalicoKind>(kind: K): KindClient<CalicoResource<K>> {
    return new KindClient<CalicoResource<K>>(this, CALICO_API, kind);
  }
}

/** Typed operations on one kind. */
export class KindClient<R extends Resource> {
  constructor(
    readonly client: ResourceClient,
    readonly apiVersion: string,
    readonly kind: string,
  ) {}

  private ref(name: string, namespace?: string): ResourceRef {
    return { apiVersion: this.apiVersion, kind: this.kind, name, namespace };
  }

  /** Reads one by name. */
  async get(name: string, namespace?: string): Promise<R | undefined> {
    return (await this.client.get(this.ref(name, namespace))) as R | undefined;
  }
  /** Lists (in one namespace, or all). */
  async list(namespace?: string): Promise<R[]> {
    return (await this.client.list(this.apiVersion, this.kind, namespace)) as R[];
  }
  /** Creates. */
  async create(input: unknown): Promise<R> {
    return (await this.client.create(this.checkKind(input))) as R;
  }
  /** Replaces (compare-and-swap on `metadata.resourceVersion` when set). */
  async update(input: unknown): Promise<R> {
    return (await this.client.update(this.checkKind(input))) as R;
  }
  /** Creates or replaces. */
  async apply(input: unknown): Promise<R> {
    return (await this.client.apply(this.checkKind(input))) as R;
  }
  /** Deletes by name. */
  async delete(name: string, namespace?: string, resourceVersion?: string): Promise<boolean> {
    return this.client.delete(this.ref(name, namespace), resourceVersion);
  }
  /** Watches this kind. */
  watch(
    opts: { namespace?: string; startRevision?: number },
    listener: ResourceWatchListener,
  ): Watch {
    return this.client.watch(this.apiVersion, this.kind, opts, listener);
  }

  private checkKind(input: unknown): unknown {
    const o = input as { apiVersion?: unknown; kind?: unknown } | null;
    if (o && typeof o === "object" && (o.apiVersion !== this.apiVersion || o.kind !== this.kind)) {
      throw new ResourceValidationError(String(o.kind), [
        { path: "kind", message: `this client handles ${this.apiVersion} ${this.kind}` },
      ]);
    }
    return input;
  }
}

function kindsByPlural(group: string, plural: string): readonly KindInfo[] {
  return PLURALS.get(`${group}/${plural}`) ?? [];
}

const PLURALS = new Map<string, KindInfo[]>();
for (const k of allKinds()) {
  const key = `${groupOf(k.apiVersion)}/${k.plural}`;
  PLURALS.set(key, [...(PLURALS.get(key) ?? []), k]);
}
