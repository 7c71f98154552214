// A typed resource client over a Datastore, with Calico's etcd key layout
// (`/calico/resources/v3/projectcalico.org/<plural>[/<namespace>]/<name>`)
// and `metadata.resourceVersion` carried as the key's modRevision, so an
// update is a compare-and-swap on what the caller read.
import { KeyExistsError, KeyNotFoundError, RevisionMismatchError } from "../errors.js";
import type { Datastore, KeyValue } from "../types.js";
import { kindInfo, type Resource, validateResource } from "./load.js";

/** What identifies a resource. */
export interface ResourceRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Typed CRUD for resources in a datastore. */
export class ResourceClient {
  constructor(
    readonly store: Datastore,
    /** Key root (default "/calico/resources/v3/"). */
    readonly root = "/calico/resources/v3/",
  ) {}

  private group(apiVersion: string): string {
    return apiVersion.split("/")[0]!;
  }

  /** The prefix of a kind (and namespace). */
  prefixOf(apiVersion: string, kind: string, namespace?: string): string {
    const info = kindInfo(apiVersion, kind);
    if (!info) throw new KeyNotFoundError(`${apiVersion}/${kind}`);
    const ns = info.namespaced && namespace !== undefined ? `${namespace}/` : "";
    return `${this.root}${this.group(apiVersion)}/${info.plural}/${ns}`;
  }

  /** The key of a resource. */
  keyOf(ref: ResourceRef): string {
    const info = kindInfo(ref.apiVersion, ref.kind);
    const ns = info?.namespaced ? (ref.namespace ?? "default") : undefined;
    return `${this.prefixOf(ref.apiVersion, ref.kind, ns)}${ref.name}`;
  }

  private refOf(r: Resource): ResourceRef {
    const m = r.metadata as { name: string; namespace?: string };
    return {
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
    };
  }

  private decode(kv: KeyValue): Resource {
    const r = validateResource(JSON.parse(kv.value), kv.key);
    return {
      ...r,
      metadata: { ...r.metadata, resourceVersion: String(kv.modRevision) },
    } as Resource;
  }

  private encode(r: Resource): string {
    const { resourceVersion: _rv, ...metadata } = r.metadata as Record<string, unknown>;
    return JSON.stringify({ ...r, metadata });
  }

  /** Creates a resource; throws {@link KeyExistsError} if present. */
  async create(input: unknown): Promise<Resource> {
    const r = validateResource(input);
    const kv = await this.store.create(this.keyOf(this.refOf(r)), this.encode(r));
    return this.decode(kv);
  }

  /**
   * Replaces a resource. With `metadata.resourceVersion`, only if unchanged
   * since (else {@link RevisionMismatchError}); without, unconditionally.
   */
  async update(input: unknown): Promise<Resource> {
    const r = validateResource(input);
    const key = this.keyOf(this.refOf(r));
    const rv = (r.metadata as { resourceVersion?: string }).resourceVersion;
    const expected = rv !== undefined ? Number(rv) : (await this.store.get(key))?.modRevision;
    if (expected === undefined) throw new KeyNotFoundError(key);
    return this.decode(await this.store.update(key, this.encode(r), expected));
  }

  /** Creates or replaces (calicoctl apply). */
  async apply(input: unknown): Promise<Resource> {
    for (let i = 0; i < 10; i++) {
      try {
        return await this.create(input);
      } catch (e) {
        if (!(e instanceof KeyExistsError)) throw e;
      }
      try {
        const r = validateResource(input);
        const { resourceVersion: _rv, ...metadata } = r.metadata as Record<string, unknown>;
        return await this.update({ ...r, metadata });
      } catch (e) {
        if (!(e instanceof KeyNotFoundError || e instanceof RevisionMismatchError)) throw e;
      }
    }
    throw new RevisionMismatchError(this.keyOf(this.refOf(validateResource(input))), 0, undefined);
  }

  /** Reads a resource. */
  async get(ref: ResourceRef): Promise<Resource | undefined> {
    const kv = await this.store.get(this.keyOf(ref));
    return kv ? this.decode(kv) : undefined;
  }

  /** Lists a kind (in one namespace, or all). */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<Resource[]> {
    const r = await this.store.list(this.prefixOf(apiVersion, kind, namespace));
    return r.kvs.map((kv) => this.decode(kv));
  }

  /** Deletes a resource; returns false when absent. */
  async delete(ref: ResourceRef): Promise<boolean> {
    return this.store.delete(this.keyOf(ref));
  }
}
