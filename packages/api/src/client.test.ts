// The resource client over the in-memory reference backend (every backend
// passes the same conformance suite in @tortie/datastore).
import {
  KeyExistsError,
  KeyNotFoundError,
  MemoryStore,
  RevisionMismatchError,
} from "@tortie/datastore";
import { describe, expect, it } from "vitest";
import { ResourceClient, type ResourceEvent } from "./client.js";
import { ResourceValidationError } from "./errors.js";

const pool = (name: string, cidr = "192.0.2.0/24") => ({
  apiVersion: "projectcalico.org/v3",
  kind: "IPPool",
  metadata: { name },
  spec: { cidr },
});
const np = (name: string, namespace: string) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec: { selector: "app == 'x'" },
});
const knp = (name: string, namespace: string) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec: {},
});

describe("ResourceClient", () => {
  it("uses Calico's key layout", () => {
    const c = new ResourceClient(new MemoryStore());
    expect(c.keyOf({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "p" })).toBe(
      "/calico/resources/v3/projectcalico.org/ippools/p",
    );
    expect(
      c.keyOf({
        apiVersion: "projectcalico.org/v3",
        kind: "NetworkPolicy",
        name: "n",
        namespace: "prod",
      }),
    ).toBe("/calico/resources/v3/projectcalico.org/networkpolicies/prod/n");
    expect(c.keyOf({ apiVersion: "projectcalico.org/v3", kind: "BlockAffinity", name: "b" })).toBe(
      "/calico/resources/v3/projectcalico.org/blockaffinities/b",
    );
    expect(c.keyOf({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", name: "n" })).toBe(
      "/calico/resources/v3/networking.k8s.io/networkpolicies/default/n",
    );
    expect(c.keyOf({ apiVersion: "v1", kind: "Namespace", name: "prod" })).toBe(
      "/calico/resources/v3/core/namespaces/prod",
    );
    expect(c.refOfKey("/calico/resources/v3/projectcalico.org/networkpolicies/prod/n")).toEqual({
      apiVersion: "projectcalico.org/v3",
      kind: "NetworkPolicy",
      namespace: "prod",
      name: "n",
    });
    expect(() =>
      c.keyOf({ apiVersion: "projectcalico.org/v3", kind: "toString", name: "x" }),
    ).toThrow(ResourceValidationError);
  });

  it("creates, gets with defaults and resourceVersion, updates by compare-and-swap, deletes", async () => {
    const c = new ResourceClient(new MemoryStore());
    const created = await c.create(pool("p"));
    expect(created.spec).toMatchObject({ blockSize: 26, nodeSelector: "all()" });
    const rv = created.metadata.resourceVersion!;
    await expect(c.create(pool("p"))).rejects.toBeInstanceOf(KeyExistsError);
    const got = await c.get({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "p" });
    expect(got).toEqual(created);
    const updated = await c.update({ ...created, spec: { ...created.spec, disabled: true } });
    expect(updated.spec).toMatchObject({ disabled: true });
    // A stale resourceVersion loses.
    await expect(
      c.update({ ...created, metadata: { ...created.metadata, resourceVersion: rv } }),
    ).rejects.toBeInstanceOf(RevisionMismatchError);
    await expect(c.update(pool("absent"))).rejects.toBeInstanceOf(KeyNotFoundError);
    expect(await c.delete({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "p" })).toBe(
      true,
    );
    expect(await c.delete({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "p" })).toBe(
      false,
    );
  });

  it("refuses invalid input before writing anything", async () => {
    const store = new MemoryStore();
    const c = new ResourceClient(store);
    await expect(
      c.create({ ...pool("p"), spec: { cidr: "192.0.2.0/24", nodeSelector: "a ==" } }),
    ).rejects.toBeInstanceOf(ResourceValidationError);
    await expect(c.apply({ ...pool("p"), spec: { cdir: "192.0.2.0/24" } })).rejects.toThrow(
      /did you mean "cidr"/,
    );
    expect((await store.list("/")).kvs).toHaveLength(0);
  });

  it("keeps fields Tortie does not act on through a round trip", async () => {
    const c = new ResourceClient(new MemoryStore());
    await c.apply({
      ...pool("p"),
      spec: { cidr: "192.0.2.0/24", natOutgoing: true, ipipMode: "Always" },
    });
    const [p] = await c.list("projectcalico.org/v3", "IPPool");
    expect(p!.spec).toMatchObject({ natOutgoing: true, ipipMode: "Always" });
  });

  it("lists by kind and namespace; Calico and Kubernetes policies of one name live apart", async () => {
    const c = new ResourceClient(new MemoryStore());
    await c.apply(np("web", "a"));
    await c.apply(np("web", "b"));
    await c.apply(knp("web", "a"));
    await c.apply(np("db", "a"));
    const names = (rs: { metadata: { name: string; namespace?: string } }[]) =>
      rs.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
    expect(names(await c.list("projectcalico.org/v3", "NetworkPolicy"))).toEqual([
      "a/db",
      "a/web",
      "b/web",
    ]);
    expect(names(await c.list("projectcalico.org/v3", "NetworkPolicy", "a"))).toEqual([
      "a/db",
      "a/web",
    ]);
    expect(names(await c.list("networking.k8s.io/v1", "NetworkPolicy"))).toEqual(["a/web"]);
    expect(
      await c.delete({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        name: "web",
        namespace: "a",
      }),
    ).toBe(true);
    expect(names(await c.list("projectcalico.org/v3", "NetworkPolicy", "a"))).toEqual([
      "a/db",
      "a/web",
    ]);
  });

  it("apply creates then replaces, ignoring a stale resourceVersion", async () => {
    const c = new ResourceClient(new MemoryStore());
    const a = await c.apply(pool("p"));
    const b = await c.apply({
      ...pool("p", "198.51.100.0/24"),
      metadata: { name: "p", resourceVersion: "1" },
    });
    expect(b.spec).toMatchObject({ cidr: "198.51.100.0/24" });
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
  });

  it("takes another key root, as an option or alone", async () => {
    const store = new MemoryStore();
    await new ResourceClient(store, { root: "/a/" }).create(pool("p"));
    await new ResourceClient(store, "/b/").create(pool("p"));
    expect((await store.list("/")).kvs.map((kv) => kv.key)).toEqual([
      "/a/projectcalico.org/ippools/p",
      "/b/projectcalico.org/ippools/p",
    ]);
    expect(() => new ResourceClient(store, "/no-slash")).toThrow(TypeError);
  });

  it("typed kind clients", async () => {
    const c = new ResourceClient(new MemoryStore());
    const pools = c.calico("IPPool");
    await pools.create(pool("p"));
    const p = await pools.get("p");
    expect(p?.spec.blockSize).toBe(26);
    await expect(pools.create(np("x", "a"))).rejects.toBeInstanceOf(ResourceValidationError);
    expect((await pools.list()).map((x) => x.spec.cidr)).toEqual(["192.0.2.0/24"]);
    expect(await pools.delete("p")).toBe(true);
  });

  it("a bad stored value is an error naming its key, and an 'invalid' watch event", async () => {
    const store = new MemoryStore();
    const c = new ResourceClient(store);
    const events: ResourceEvent[] = [];
    const { revision } = await c.listAt("projectcalico.org/v3", "IPPool");
    const w = c.watch(
      "projectcalico.org/v3",
      "IPPool",
      { startRevision: revision + 1 },
      { onEvents: (es) => events.push(...es) },
    );
    await w.ready;
    await c.create(pool("good"));
    await store.create("/calico/resources/v3/projectcalico.org/ippools/bad", "{not json");
    await store.create(
      "/calico/resources/v3/projectcalico.org/ippools/other",
      JSON.stringify(pool("mismatch")),
    );
    await c.delete({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "good" });
    await expect(
      c.get({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "bad" }),
    ).rejects.toThrow(/ippools\/bad/);
    await expect(
      c.get({ apiVersion: "projectcalico.org/v3", kind: "IPPool", name: "other" }),
    ).rejects.toThrow(/does not match its key/);
    for (let i = 0; i < 50 && events.length < 4; i++) await new Promise((r) => setImmediate(r));
    await w.close();
    expect(events.map((e) => e.type)).toEqual(["put", "invalid", "invalid", "delete"]);
    expect(events[0]).toMatchObject({ type: "put", resource: { metadata: { name: "good" } } });
    expect(events[3]).toMatchObject({ type: "delete", ref: { kind: "IPPool", name: "good" } });
  });
});
