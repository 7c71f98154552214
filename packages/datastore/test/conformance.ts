// The conformance suite every backend runs unchanged (memory, SQLite, etcd).
// It is test code (it imports vitest) and is not exported from the package.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatastoreUsageError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
} from "../src/errors.js";
import type { Datastore, WatchEvent } from "../src/types.js";

/** What a backend's test file hands the suite. */
export interface ConformanceTarget {
  /** A store; every test uses its own key prefix, so one store serves all. */
  readonly store: Datastore;
  /** A second handle on the same data (another connection/process view), if the backend has one. */
  readonly peer?: Datastore;
  /**
   * Opens one more handle on the same data (a new SQLite connection, a new
   * etcd client), as a process that opens its own store would; the test
   * closes it. Backends without one (memory) leave it out.
   */
  readonly openAnother?: () => Datastore;
  /** Moves the lease clock forward (stores with an injected clock); otherwise real time is used. */
  readonly advance?: (ms: number) => void;
  /** Called after the suite. */
  readonly close?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting in conformance test");
    await sleep(10);
  }
}

function collector() {
  const events: WatchEvent[] = [];
  let compacted: number | undefined;
  return {
    events,
    get compacted() {
      return compacted;
    },
    listener: {
      onEvents: (e: readonly WatchEvent[]) => {
        events.push(...e);
      },
      onCompacted: (r: number) => {
        compacted = r;
      },
    },
  };
}

const keyOf = (e: WatchEvent) => (e.type === "put" ? e.kv.key : e.key);

/** Which optional parts of the suite a backend runs. */
export interface ConformanceOptions {
  /** Backends where several handles share one store (SQLite file, etcd): the target gives `openAnother`. */
  readonly manyHandles?: boolean;
}

/** Defines the conformance tests for one backend. */
export function conformance(
  name: string,
  open: () => Promise<ConformanceTarget>,
  opts: ConformanceOptions = {},
): void {
  describe(`datastore conformance: ${name}`, () => {
    let t: ConformanceTarget;
    let n = 0;
    // A fresh prefix per test, so tests never see each other's keys.
    const px = () => `/conf/${Date.now().toString(36)}-${n++}/`;
    beforeAll(async () => {
      t = await open();
    });
    afterAll(async () => {
      await t?.close?.();
    });

    it("creates, reads and refuses to create twice", async () => {
      const p = px();
      const s = t.store;
      expect(await s.get(`${p}a`)).toBeUndefined();
      const kv = await s.create(`${p}a`, "one");
      expect(kv).toMatchObject({ key: `${p}a`, value: "one", version: 1 });
      expect(kv.createRevision).toBe(kv.modRevision);
      expect(await s.get(`${p}a`)).toEqual(kv);
      const err = await s.create(`${p}a`, "two").catch((e) => e);
      expect(err).toBeInstanceOf(KeyExistsError);
      expect(err.current?.value).toBe("one");
      expect((await s.get(`${p}a`))?.value).toBe("one");
    });

    it("updates only at the revision read (compare-and-swap)", async () => {
      const p = px();
      const s = t.store;
      const a = await s.create(`${p}k`, "1");
      const b = await s.update(`${p}k`, "2", a.modRevision);
      expect(b).toMatchObject({ value: "2", version: 2, createRevision: a.createRevision });
      expect(b.modRevision).toBeGreaterThan(a.modRevision);
      const stale = await s.update(`${p}k`, "3", a.modRevision).catch((e) => e);
      expect(stale).toBeInstanceOf(RevisionMismatchError);
      expect(stale.current.value).toBe("2");
      expect(await s.update(`${p}absent`, "x", 5).catch((e) => e)).toBeInstanceOf(KeyNotFoundError);
      expect((await s.get(`${p}k`))?.value).toBe("2");
    });

    it("deletes with and without a compare", async () => {
      const p = px();
      const s = t.store;
      const a = await s.create(`${p}k`, "1");
      const b = await s.update(`${p}k`, "2", a.modRevision);
      expect(await s.delete(`${p}k`, a.modRevision).catch((e) => e)).toBeInstanceOf(
        RevisionMismatchError,
      );
      expect(await s.delete(`${p}k`, b.modRevision)).toBe(true);
      expect(await s.get(`${p}k`)).toBeUndefined();
      expect(await s.delete(`${p}k`)).toBe(false);
      expect(await s.delete(`${p}k`, b.modRevision).catch((e) => e)).toBeInstanceOf(
        KeyNotFoundError,
      );
      await s.create(`${p}j`, "x");
      expect(await s.delete(`${p}j`)).toBe(true);
      // Re-created keys start a new life: version 1, new createRevision.
      const c = await s.create(`${p}k`, "3");
      expect(c.version).toBe(1);
      expect(c.createRevision).toBeGreaterThan(b.modRevision);
    });

    it("lists a prefix in key order, and only that prefix", async () => {
      const p = px();
      const s = t.store;
      for (const k of ["b", "a", "c/d", "c0"]) await s.create(`${p}${k}`, k);
      await s.create(`${p.slice(0, -1)}x`, "outside"); // shares the prefix but for "/"
      const r = await s.list(p);
      expect(r.kvs.map((k) => k.key)).toEqual([`${p}a`, `${p}b`, `${p}c/d`, `${p}c0`]);
      expect(r.revision).toBeGreaterThanOrEqual(Math.max(...r.kvs.map((k) => k.modRevision)));
      expect((await s.list(`${p}c/`)).kvs.map((k) => k.value)).toEqual(["c/d"]);
      const keys = await s.list(p, { keysOnly: true });
      expect(keys.kvs.map((k) => [k.key, k.value])).toEqual(r.kvs.map((k) => [k.key, ""]));
      expect(keys.kvs.map((k) => k.modRevision)).toEqual(r.kvs.map((k) => k.modRevision));
      expect((await s.list(`${p}zz`)).kvs).toEqual([]);
    });

    it("applies a transaction all or nothing, at one revision", async () => {
      const p = px();
      const s = t.store;
      const a = await s.create(`${p}a`, "a1");
      const b = await s.create(`${p}b`, "b1");
      const bad = await s.txn({
        compare: [
          { key: `${p}a`, modRevision: a.modRevision },
          { key: `${p}b`, modRevision: a.modRevision }, // wrong
          { key: `${p}c`, modRevision: 0 },
        ],
        ops: [
          { type: "put", key: `${p}a`, value: "a2" },
          { type: "put", key: `${p}c`, value: "c1" },
        ],
      });
      expect(bad.succeeded).toBe(false);
      expect(bad.current?.get(`${p}b`)?.value).toBe("b1");
      expect(bad.current?.get(`${p}c`)).toBeUndefined();
      expect(bad.current?.has(`${p}c`)).toBe(true);
      expect((await s.get(`${p}a`))?.value).toBe("a1");
      expect(await s.get(`${p}c`)).toBeUndefined();

      const before = await s.revision();
      const ok = await s.txn({
        compare: [
          { key: `${p}a`, modRevision: a.modRevision },
          { key: `${p}b`, modRevision: b.modRevision },
          { key: `${p}c`, modRevision: 0 },
        ],
        ops: [
          { type: "put", key: `${p}a`, value: "a2" },
          { type: "delete", key: `${p}b` },
          { type: "put", key: `${p}c`, value: "c1" },
        ],
      });
      expect(ok.succeeded).toBe(true);
      expect(ok.revision).toBeGreaterThan(before);
      const [na, nc] = [await s.get(`${p}a`), await s.get(`${p}c`)];
      expect(na?.modRevision).toBe(ok.revision);
      expect(nc?.modRevision).toBe(ok.revision);
      expect(await s.get(`${p}b`)).toBeUndefined();
    });

    it("loses no update under concurrent compare-and-swap increments", async () => {
      const p = px();
      const stores = t.peer ? [t.store, t.peer] : [t.store];
      await t.store.create(`${p}n`, "0");
      const inc = async (s: Datastore) => {
        for (let attempt = 0; attempt < 200; attempt++) {
          const cur = (await s.get(`${p}n`))!;
          const r = await s.txn({
            compare: [{ key: `${p}n`, modRevision: cur.modRevision }],
            ops: [{ type: "put", key: `${p}n`, value: String(Number(cur.value) + 1) }],
          });
          if (r.succeeded) return;
        }
        throw new Error("too many retries");
      };
      await Promise.all(Array.from({ length: 24 }, (_, i) => inc(stores[i % stores.length]!)));
      expect((await t.store.get(`${p}n`))?.value).toBe("24");
    });

    // Defined only where it applies (not skipped elsewhere).
    if (opts.manyHandles) {
      it("many handles opened and closed concurrently always see committed data", async () => {
        // The pattern of a CNI plugin that opens its own store per ADD: 30
        // handles on one store, opened at once and at staggered times, each
        // closed while others are still reading and writing. Each must see the
        // key written before it was opened, and every write committed before
        // its read, whatever the other handles are doing.
        const open = t.openAnother;
        if (!open) throw new Error("manyHandles needs the target's openAnother");
        const p = px();
        await t.store.create(`${p}config`, "written first");
        const committed: string[] = [];
        const problems: string[] = [];
        await Promise.all(
          Array.from({ length: 30 }, async (_, i) => {
            if (i % 3 !== 0) await sleep((i * 7) % 11);
            const s = open();
            try {
              const cfg = await s.get(`${p}config`);
              if (cfg?.value !== "written first") problems.push(`${i}: config is ${cfg?.value}`);
              const before = [...committed];
              await s.create(`${p}k${String(i).padStart(2, "0")}`, String(i));
              committed.push(`${p}k${String(i).padStart(2, "0")}`);
              await sleep(i % 4);
              const seen = new Set((await s.list(p)).kvs.map((kv) => kv.key));
              for (const k of [`${p}config`, ...before]) {
                if (!seen.has(k)) problems.push(`${i}: list lacks ${k}`);
              }
              for (const k of before.slice(-3)) {
                if (!(await s.get(k))) problems.push(`${i}: get lacks ${k}`);
              }
            } finally {
              await s.close();
            }
          }),
        );
        expect(problems).toEqual([]);
        const last = open();
        try {
          expect((await last.list(p)).kvs.map((kv) => kv.key)).toEqual([
            `${p}config`,
            ...[...committed].sort(),
          ]);
        } finally {
          await last.close();
        }
      });
    }

    it("watches a prefix: puts and deletes in order, with revisions", async () => {
      const p = px();
      const s = t.store;
      const c = collector();
      const w = s.watch(p, {}, c.listener);
      await w.ready;
      const writer = t.peer ?? s;
      const a = await writer.create(`${p}a`, "1");
      await writer.create(`${p.slice(0, -1)}-other`, "not watched");
      const a2 = await writer.update(`${p}a`, "2", a.modRevision);
      await writer.delete(`${p}a`);
      await until(() => (c.events.length >= 3 ? true : undefined));
      await sleep(50);
      await w.close();
      expect(c.events.map((e) => [e.type, keyOf(e)])).toEqual([
        ["put", `${p}a`],
        ["put", `${p}a`],
        ["delete", `${p}a`],
      ]);
      expect(c.events[0]!.revision).toBe(a.modRevision);
      expect(c.events[1]!.revision).toBe(a2.modRevision);
      expect(c.events[2]!.revision).toBeGreaterThan(a2.modRevision);
      expect(c.events[1]!.type === "put" && c.events[1]!.kv.value).toBe("2");
      expect(w.nextRevision).toBe(c.events[2]!.revision + 1);
    });

    it("replays history from a start revision and resumes without gaps or duplicates", async () => {
      const p = px();
      const s = t.store;
      const first = await s.create(`${p}0`, "v");
      for (let i = 1; i < 5; i++) await s.create(`${p}${i}`, "v");
      const c1 = collector();
      const w1 = s.watch(p, { startRevision: first.modRevision }, c1.listener);
      await until(() => (c1.events.length >= 5 ? true : undefined));
      await w1.close();
      // While no watch runs (a disconnect), more writes happen.
      for (let i = 5; i < 9; i++) await (t.peer ?? s).create(`${p}${i}`, "v");
      const c2 = collector();
      const w2 = s.watch(p, { startRevision: w1.nextRevision }, c2.listener);
      await until(() => (c2.events.length >= 4 ? true : undefined));
      await sleep(50);
      await w2.close();
      const keys = [...c1.events, ...c2.events].map(keyOf);
      expect(keys).toEqual(Array.from({ length: 9 }, (_, i) => `${p}${i}`));
    });

    it("tells a watch from a compacted revision that it must re-list", async () => {
      const p = px();
      const s = t.store;
      const a = await s.create(`${p}a`, "1");
      await s.update(`${p}a`, "2", a.modRevision);
      const b = await s.create(`${p}b`, "1");
      await s.compact(b.modRevision);
      const c = collector();
      const w = s.watch(p, { startRevision: a.modRevision }, c.listener);
      const compactRev = await until(() => c.compacted);
      expect(compactRev).toBeGreaterThanOrEqual(b.modRevision);
      expect(c.events).toEqual([]);
      await w.close();
      // From the compaction point on, the watch works.
      const c2 = collector();
      const w2 = s.watch(p, { startRevision: b.modRevision }, c2.listener);
      await until(() => (c2.events.length >= 1 ? true : undefined));
      await w2.close();
      expect(c2.events.map(keyOf)).toContain(`${p}b`);
      expect(c2.compacted).toBeUndefined();
    });

    it("deletes a lease's keys when it is revoked", async () => {
      const p = px();
      const s = t.store;
      const lease = await s.grantLease(30);
      await s.create(`${p}l`, "leased", { lease: lease.id });
      await s.create(`${p}k`, "kept");
      expect((await s.get(`${p}l`))?.lease).toBe(lease.id);
      const c = collector();
      const w = s.watch(p, {}, c.listener);
      await w.ready;
      await lease.keepAlive();
      await lease.revoke();
      expect(await s.get(`${p}l`)).toBeUndefined();
      expect((await s.get(`${p}k`))?.value).toBe("kept");
      await until(() => (c.events.some((e) => e.type === "delete") ? true : undefined));
      await w.close();
      expect(c.events.map((e) => [e.type, keyOf(e)])).toEqual([["delete", `${p}l`]]);
    });

    it("expires a lease that is not kept alive", async () => {
      const p = px();
      const s = t.store;
      const lease = await s.grantLease(1);
      await s.create(`${p}l`, "leased", { lease: lease.id });
      if (t.advance) {
        t.advance(500);
        await lease.keepAlive();
        t.advance(900);
        expect(await s.get(`${p}l`)).toBeDefined();
        t.advance(200);
        expect(await s.get(`${p}l`)).toBeUndefined();
      } else {
        const end = Date.now() + 6000;
        while ((await s.get(`${p}l`)) && Date.now() < end) await sleep(200);
        expect(await s.get(`${p}l`)).toBeUndefined();
      }
      expect(await lease.keepAlive().catch((e) => e)).toBeInstanceOf(Error);
    });

    it("rejects bad input with a usage error", async () => {
      const s = t.store;
      expect(await s.get("").catch((e) => e)).toBeInstanceOf(DatastoreUsageError);
      expect(await s.create("", "x").catch((e) => e)).toBeInstanceOf(DatastoreUsageError);
      expect(
        await s.txn({ compare: [{ key: "/x", modRevision: -1 }], ops: [] }).catch((e) => e),
      ).toBeInstanceOf(DatastoreUsageError);
      expect(await s.grantLease(0).catch((e) => e)).toBeInstanceOf(DatastoreUsageError);
    });
  });
}
