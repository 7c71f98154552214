import { requirePrereqs, startEtcd, useTestbed } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { DatastoreUnavailableError } from "../errors.js";
import { conformance } from "../testing/conformance.js";
import { EtcdStore } from "./etcd.js";

const skip = requirePrereqs(["etcd"]);

describe.skipIf(skip)("etcd backend against a real etcd 3.4", () => {
  const tb = useTestbed();

  conformance("etcd", async () => {
    const etcd = tb.track(await startEtcd());
    const store = new EtcdStore({ hosts: [etcd.endpoint] });
    const peer = new EtcdStore({ hosts: [etcd.endpoint] });
    return {
      store,
      peer,
      close: async () => {
        await store.close();
        await peer.close();
      },
    };
  });

  it("keeps keys under its prefix apart from other users of the same etcd", async () => {
    const etcd = tb.track(await startEtcd());
    const a = new EtcdStore({ hosts: [etcd.endpoint], prefix: "/tenant-a" });
    const b = new EtcdStore({ hosts: [etcd.endpoint], prefix: "/tenant-b" });
    await a.create("/k", "a");
    await b.create("/k", "b");
    expect((await a.get("/k"))?.value).toBe("a");
    expect((await b.list("/")).kvs.map((k) => [k.key, k.value])).toEqual([["/k", "b"]]);
    expect(await etcd.etcdctl(["get", "/tenant-a/k", "--print-value-only"])).toContain("a");
    await a.close();
    await b.close();
  });

  it("fails with a typed error, quickly, when etcd is unreachable", async () => {
    const s = new EtcdStore({ hosts: ["http://127.0.0.1:1"], callTimeoutMs: 1000 });
    const t0 = Date.now();
    const err = await s.get("/x").catch((e) => e);
    expect(err).toBeInstanceOf(DatastoreUnavailableError);
    expect(err.message).toMatch(/etcd unavailable at http:\/\/127\.0\.0\.1:1/);
    expect(Date.now() - t0).toBeLessThan(5000);
    const txnErr = await s
      .txn({ compare: [], ops: [{ type: "put", key: "/x", value: "1" }] })
      .catch((e) => e);
    expect(txnErr).toBeInstanceOf(DatastoreUnavailableError);
    await s.close();
  });
});
