// The stale-release property (test/stale-release.ts) on one SQLite file and
// on a real etcd: interleavings of allocate / release / block release /
// re-claim by three clients with their own caches; a stale release never
// frees anything, nothing is lost, nothing is handed out twice.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdStore, SqliteStore } from "@tortie/datastore";
import { requirePrereqs, startEtcd, useTestbed } from "@tortie/testbed";
import { describe, it } from "vitest";
import { assertStaleReleasesFreeNothing } from "./stale-release.js";

describe("a stale release never frees a newer allocation (SQLite)", () => {
  const tb = useTestbed();
  const dir = mkdtempSync(join(tmpdir(), "tortie-ipam-stale-"));
  tb.defer(() => rmSync(dir, { recursive: true, force: true }));

  it("over interleavings of allocate / release / block release / re-claim", async () => {
    const store = new SqliteStore({ path: join(dir, "ipam.db") });
    try {
      await assertStaleReleasesFreeNothing(store, 400);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe.skipIf(requirePrereqs(["etcd"]))(
  "a stale release never frees a newer allocation (etcd)",
  () => {
    const tb = useTestbed();

    it("over interleavings of allocate / release / block release / re-claim", async () => {
      const etcd = tb.track(await startEtcd());
      const store = new EtcdStore({ hosts: [etcd.endpoint] });
      try {
        await assertStaleReleasesFreeNothing(store, 50);
      } finally {
        await store.close();
      }
    }, 180_000);
  },
);
