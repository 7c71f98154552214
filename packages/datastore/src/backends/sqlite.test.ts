import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { conformance } from "../../test/conformance.js";
import { DatastoreUnavailableError } from "../errors.js";
import { SqliteStore } from "./sqlite.js";

conformance(
  "sqlite (two connections on one file)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "tortie-sqlite-"));
    let now = 1_000_000;
    const path = join(dir, "store.db");
    const store = new SqliteStore({ path, now: () => now });
    const peer = new SqliteStore({ path, now: () => now });
    return {
      store,
      peer,
      openAnother: () => new SqliteStore({ path, now: () => now }),
      advance: (ms) => {
        now += ms;
      },
      close: async () => {
        await store.close();
        await peer.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { manyHandles: true },
);

describe("sqlite store", () => {
  it("fails to open an unusable path with a typed error", () => {
    expect(() => new SqliteStore({ path: "/nonexistent-dir/x/store.db" })).toThrow(
      DatastoreUnavailableError,
    );
  });

  it("stores that are each the file's only user at times, opened on a fresh file, see every commit", async () => {
    // No long-lived connection: when the last one closes, SQLite checkpoints
    // and deletes the WAL, and the next store opens the file alone again
    // (one CNI process per pod). The first round creates the tables from
    // ten stores at once.
    const dir = mkdtempSync(join(tmpdir(), "tortie-sqlite-"));
    try {
      const path = join(dir, "s.db");
      const done: string[] = [];
      for (let round = 0; round < 4; round++) {
        const before = [...done];
        await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            if (i % 2) await new Promise((r) => setTimeout(r, i));
            const s = new SqliteStore({ path });
            try {
              await s.create(`/r${round}/${i}`, "v");
              done.push(`/r${round}/${i}`);
              const seen = new Set((await s.list("/")).kvs.map((kv) => kv.key));
              expect(before.filter((k) => !seen.has(k))).toEqual([]);
            } finally {
              await s.close();
            }
          }),
        );
      }
      const s = new SqliteStore({ path });
      expect((await s.list("/")).kvs.map((kv) => kv.key)).toEqual([...done].sort());
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps data across reopen and bounds its history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tortie-sqlite-"));
    try {
      const path = join(dir, "s.db");
      const a = new SqliteStore({ path, historyLimit: 10 });
      const kv = await a.create("/k", "0");
      let rev = kv.modRevision;
      for (let i = 1; i <= 1200; i++) rev = (await a.update("/k", String(i), rev)).modRevision;
      await a.close();
      const b = new SqliteStore({ path });
      expect((await b.get("/k"))?.value).toBe("1200");
      let compacted: number | undefined;
      const w = b.watch(
        "/",
        { startRevision: 2 },
        {
          onEvents() {},
          onCompacted: (r) => {
            compacted = r;
          },
        },
      );
      await new Promise((r) => setTimeout(r, 50));
      await w.close();
      expect(compacted).toBeGreaterThan(900);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
