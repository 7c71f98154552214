// The lab as a test: BIG-IP (FRR) learns each node's pod block from Tortie
// with the node as next hop, installs it, and a client reaches pod IPs
// through BIG-IP.
import { requirePrereqs, waitFor } from "@tortie/testbed";
import { afterAll, describe, expect, it } from "vitest";
import { type F5Lab, NODES, startF5Lab } from "./f5-lab.js";

const skip = requirePrereqs(["root", "frr"]);

describe.skipIf(skip)("F5 Kubernetes + Calico + BIG-IP lab", () => {
  let lab: F5Lab | undefined;
  afterAll(() => lab?.stop());

  it("BIG-IP learns every pod block via its node and the client reaches the pods", async () => {
    lab = await startF5Lab();
    const routes = await lab.bigipRoutes();
    for (const n of NODES) {
      expect(routes[n.block]?.[0]?.nexthops?.[0]?.ip).toBe(n.ip);
      await lab.topo.host("client").exec(["ping", "-c", "1", "-W", "2", n.podIp]);
    }
    // node-to-node mesh: each node learned the other's block
    for (const n of NODES) {
      const other = NODES.find((o) => o !== n)!;
      expect(
        lab.speakers
          .get(n.name)!
          .routes(other.ip)
          .map((r) => r.prefix),
      ).toEqual([other.block]);
    }
  });

  it("a node withdrawing its block removes it from BIG-IP", async () => {
    const n = NODES[1];
    lab!.speakers.get(n.name)!.withdraw(n.block);
    await waitFor(async () => !(await lab!.bigipRoutes())[n.block], {
      what: "BIG-IP dropped the block",
    });
  });
});
