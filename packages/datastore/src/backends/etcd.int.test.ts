import { connect, createServer, type Socket } from "node:net";
import { requirePrereqs, startEtcd, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { conformance } from "../../test/conformance.js";
import { DatastoreUnavailableError } from "../errors.js";
import type { WatchEvent } from "../types.js";
import { EtcdStore } from "./etcd.js";

const skip = requirePrereqs(["etcd"]);

describe.skipIf(skip)("etcd backend against a real etcd 3.4", () => {
  const tb = useTestbed();

  conformance(
    "etcd",
    async () => {
      const etcd = tb.track(await startEtcd());
      const store = new EtcdStore({ hosts: [etcd.endpoint] });
      const peer = new EtcdStore({ hosts: [etcd.endpoint] });
      return {
        store,
        peer,
        openAnother: () => new EtcdStore({ hosts: [etcd.endpoint] }),
        close: async () => {
          await store.close();
          await peer.close();
        },
      };
    },
    { manyHandles: true },
  );

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

  it("resumes a watch after its connection drops, without gaps or duplicates", async () => {
    const etcd = tb.track(await startEtcd());
    const target = new URL(etcd.endpoint);
    // A TCP proxy between the watching client and etcd, which the test can cut.
    const sockets = new Set<Socket>();
    let accepting = true;
    const proxy = createServer((c) => {
      if (!accepting) {
        c.destroy();
        return;
      }
      const u = connect(Number(target.port), target.hostname);
      const end = () => {
        c.destroy();
        u.destroy();
      };
      for (const s of [c, u]) {
        sockets.add(s);
        s.on("error", end);
        s.on("close", end);
      }
      c.pipe(u);
      u.pipe(c);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    tb.defer(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          proxy.close(r);
        }),
    );
    const port = (proxy.address() as { port: number }).port;
    const watcher = new EtcdStore({ hosts: [`http://127.0.0.1:${port}`] });
    const writer = new EtcdStore({ hosts: [etcd.endpoint] });
    const events: WatchEvent[] = [];
    const w = watcher.watch("/resume/", {}, { onEvents: (e) => events.push(...e) });
    await w.ready;
    for (let i = 0; i < 5; i++) await writer.create(`/resume/${i}`, "v");
    await waitFor(() => events.length >= 5, { what: "first events" });
    // Cut every connection and refuse new ones while more writes happen.
    accepting = false;
    for (const s of sockets) s.destroy();
    for (let i = 5; i < 10; i++) await writer.create(`/resume/${i}`, "v");
    await new Promise((r) => setTimeout(r, 500));
    accepting = true;
    await waitFor(() => events.length >= 10, {
      what: "events after reconnecting",
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(events.map((e) => (e.type === "put" ? e.kv.key : e.key))).toEqual(
      Array.from({ length: 10 }, (_, i) => `/resume/${i}`),
    );
    await w.close();
    await watcher.close();
    await writer.close();
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
