// The stale-release property on the memory store (SQLite and etcd:
// test/stale-release.int.test.ts). See test/stale-release.ts.
import { MemoryStore } from "@tortie/datastore";
import { describe, it } from "vitest";
import { assertStaleReleasesFreeNothing } from "../test/stale-release.js";

describe("a stale release never frees a newer allocation (memory store)", () => {
  it("over interleavings of allocate / release / block release / re-claim", async () => {
    await assertStaleReleasesFreeNothing(new MemoryStore(), 300);
  });
});
