// The resource client over the embedded SQLite store, two handles on one
// file (as two processes of a node share it): what one writes, the other
// reads and watches as typed resources, with Calico's defaults.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@tortie/datastore";
import { afterEach, describe, expect, it } from "vitest";
import { ResourceClient, type ResourceEvent } from "./client.js";
import { parseResources } from "./load.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function twoHandles() {
  const dir = mkdtempSync(join(tmpdir(), "tortie-api-"));
  const path = join(dir, "store.db");
  const a = new SqliteStore({ path, pollMs: 10 });
  const b = new SqliteStore({ path, pollMs: 10 });
  cleanups.push(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return [new ResourceClient(a), new ResourceClient(b)] as const;
}

describe("ResourceClient on SQLite", () => {
  it("one handle writes the F5 lab's resources, the other reads and watches them", async () => {
    const [writer, reader] = twoHandles();
    const events: ResourceEvent[] = [];
    const { revision } = await reader.listAt("projectcalico.org/v3", "BGPPeer");
    const w = reader.watch(
      "projectcalico.org/v3",
      "BGPPeer",
      { startRevision: revision + 1 },
      { onEvents: (es) => events.push(...es) },
    );
    await w.ready;
    const { resources } = parseResources(`
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {asNumber: 64512, nodeToNodeMeshEnabled: true}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bgppeer-global-bigip1}
spec: {peerIP: 192.0.2.250, asNumber: 64512}
`);
    for (const r of resources) await writer.apply(r);
    const cfg = await reader.calico("BGPConfiguration").get("default");
    expect(cfg?.spec).toMatchObject({ asNumber: 64512, listenPort: 179 });
    for (let i = 0; i < 200 && events.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    await w.close();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "put",
      resource: {
        kind: "BGPPeer",
        metadata: { name: "bgppeer-global-bigip1" },
        spec: { peerIP: "192.0.2.250" },
      },
    });
    // Compare-and-swap across handles: the reader's copy is stale after the writer's update.
    const stale = (await reader.calico("BGPPeer").get("bgppeer-global-bigip1"))!;
    await writer.update({ ...stale, spec: { ...stale.spec, asNumber: 64513 } });
    await expect(
      reader.update({ ...stale, spec: { ...stale.spec, asNumber: 64514 } }),
    ).rejects.toThrow();
    expect((await reader.calico("BGPPeer").get("bgppeer-global-bigip1"))?.spec.asNumber).toBe(
      64513,
    );
  });
});
