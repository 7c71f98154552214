// The two stores the multi-process IPAM tests run on — a real etcd and one
// SQLite file that several processes open — as one `describe` per store, so
// each test file states only what it checks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Datastore, EtcdStore, SqliteStore } from "@tortie/datastore";
import { requirePrereqs, startEtcd, useTestbed } from "@tortie/testbed";
import { beforeAll, describe } from "vitest";

/** A store the worker processes open by kind and endpoint, and the test opens with `open`. */
export interface Backend {
  readonly kind: "etcd" | "sqlite";
  readonly endpoint: string;
  open(): Datastore;
}

/**
 * `describe(title on a real etcd)` and `describe(title on one SQLite file)`;
 * `body` gets a getter for the backend (set before the first test runs).
 * Without etcd the first is skipped outside CI and fails in CI
 * (`requirePrereqs`).
 */
export function describeOnStores(title: string, body: (backend: () => Backend) => void): void {
  describe.skipIf(requirePrereqs(["etcd"]))(`${title} on a real etcd`, () => {
    const tb = useTestbed();
    let backend: Backend | undefined;
    beforeAll(async () => {
      const etcd = tb.track(await startEtcd());
      backend = {
        kind: "etcd",
        endpoint: etcd.endpoint,
        open: () => new EtcdStore({ hosts: [etcd.endpoint] }),
      };
    });
    body(() => backend!);
  });

  describe(`${title} on one SQLite file`, () => {
    const tb = useTestbed();
    const dir = mkdtempSync(join(tmpdir(), "tortie-ipam-sqlite-"));
    tb.defer(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "ipam.db");
    const backend: Backend = {
      kind: "sqlite",
      endpoint: path,
      open: () => new SqliteStore({ path }),
    };
    body(() => backend);
  });
}
