// The reconciler in real namespaces: it converges, repairs hand edits,
// honours the grace period on its own interfaces, follows link events, and
// leaves every route of other protocols alone.
import { type Host, requirePrereqs, useTestbed, waitFor } from "@tortie/testbed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Netlink, RouteReconciler } from "../index.js";

const skip = requirePrereqs(["root", "netns"]);

interface IpRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  protocol?: string;
}

describe.skipIf(skip)("route reconciler against the kernel", () => {
  const tb = useTestbed();
  let a: Host;
  let b: Host;
  let nl: Netlink;
  let rec: RouteReconciler;
  const errors: unknown[] = [];

  const ours = async () =>
    (await a.ipJson<IpRoute[]>(["route", "show", "proto", "84"]))
      .map(
        (r) =>
          `${r.type ?? "unicast"} ${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.dev && !r.gateway ? ` dev ${r.dev}` : ""}${r.metric ? ` metric ${r.metric}` : ""}`,
      )
      .sort();
  const foreign = async () =>
    JSON.stringify(
      (await a.ipJson<IpRoute[]>(["route", "show", "table", "all"])).filter(
        (r) => r.protocol !== "84",
      ),
    );
  const expected = [
    "blackhole 198.51.100.0/26",
    "unicast 198.51.100.64/26 via 192.0.2.2",
    "unicast 198.51.100.7 dev cali1",
  ];

  beforeAll(async () => {
    const topo = await tb.topology({
      hosts: ["a", "b"],
      links: [
        {
          a: { host: "a", ifname: "eth0", addrs: ["192.0.2.1/24"] },
          b: { host: "b", addrs: ["192.0.2.2/24"] },
        },
        { a: { host: "a", ifname: "cali1" }, b: { host: "b", ifname: "pod1" } },
      ],
    });
    a = topo.host("a");
    b = topo.host("b");
    // Foreign routes: the reconciler must never touch them.
    await a.ip(["route", "add", "203.0.113.0/24", "via", "192.0.2.2"]);
    await a.ip(["route", "add", "203.0.113.128/25", "via", "192.0.2.2", "proto", "bird"]);
    await a.ip(["route", "add", "blackhole", "198.51.100.192/26", "proto", "static"]);
    nl = await Netlink.open({ netns: a.nsPath });
    rec = new RouteReconciler(nl, {
      ownInterface: (n) => n.startsWith("cali"),
      graceMs: 600,
      resyncIntervalMs: 0,
      retryMs: 50,
      onError: (e) => errors.push(e),
    });
  });
  afterAll(() => {
    rec?.stop();
    nl?.close();
  });

  it("installs the desired routes, with conflicts resolved by priority", async () => {
    const before = await foreign();
    rec.setRoutes("blocks", [{ dst: "198.51.100.0/26", type: "blackhole", priority: 10 }]);
    rec.setRoutes("bgp", [
      { dst: "198.51.100.0/26", gateway: "192.0.2.2", priority: 200 },
      { dst: "198.51.100.64/26", gateway: "192.0.2.2", priority: 200 },
    ]);
    rec.setRoutes("pods", [{ dst: "198.51.100.7/32", dev: "cali1" }]);
    const first = await rec.start();
    expect(first.replaced).toBe(3);
    expect(first.failures).toEqual([]);
    expect(await ours()).toEqual(expected);
    expect(await foreign()).toBe(before);
    // a second full resync finds nothing to do
    const again = await rec.resync();
    expect([again.replaced, again.deleted]).toEqual([0, 0]);
  });

  it("converges after routes are deleted or changed by hand", async () => {
    const before = await foreign();
    await a.ip(["route", "del", "198.51.100.64/26"]);
    await waitFor(async () => (await ours()).join() === expected.join(), {
      what: "deleted route back",
      timeoutMs: 5000,
    });
    await a.ip(["route", "replace", "198.51.100.64/26", "via", "192.0.2.3", "proto", "84"]);
    await waitFor(async () => (await ours()).join() === expected.join(), {
      what: "changed route back",
      timeoutMs: 5000,
    });
    // replaced by someone else's route (another protocol) at the same key
    await a.ip(["route", "replace", "198.51.100.64/26", "via", "192.0.2.3", "proto", "static"]);
    await waitFor(async () => (await ours()).join() === expected.join(), {
      what: "taken-over route back",
      timeoutMs: 5000,
    });
    // an extra copy with another metric is removed
    await a.ip([
      "route",
      "add",
      "198.51.100.64/26",
      "via",
      "192.0.2.2",
      "metric",
      "50",
      "proto",
      "84",
    ]);
    await waitFor(async () => (await ours()).join() === expected.join(), {
      what: "extra copy removed",
      timeoutMs: 5000,
    });
    expect(await foreign()).toBe(before);
  });

  it("deletes stray routes of its protocol at once, but waits out the grace period on its own interfaces", async () => {
    await a.ip(["route", "add", "198.51.100.128/27", "via", "192.0.2.2", "proto", "84"]);
    await waitFor(async () => !(await ours()).some((r) => r.includes("198.51.100.128/27")), {
      what: "stray route removed",
      timeoutMs: 5000,
    });
    const t0 = Date.now();
    await a.ip(["route", "add", "198.51.100.9/32", "dev", "cali1", "proto", "84"]);
    await new Promise((r) => setTimeout(r, 200));
    // within the grace period: the CNI plugin may have just added it
    expect((await ours()).some((r) => r.includes("198.51.100.9"))).toBe(true);
    await waitFor(async () => !(await ours()).some((r) => r.includes("198.51.100.9")), {
      what: "unknown pod route removed after grace",
      timeoutMs: 5000,
      intervalMs: 50,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(await ours()).toEqual(expected);
  });

  it("a route whose interface appears later is installed on the link event (partial resync)", async () => {
    rec.upsert("pods", { dst: "198.51.100.8/32", dev: "cali2" });
    const r = await rec.apply();
    expect(r.pending).toContain("254|198.51.100.8/32");
    await a.ip(["link", "add", "cali2", "type", "veth", "peer", "name", "pod2", "netns", b.netns]);
    await b.ip(["link", "set", "pod2", "up"]);
    await a.ip(["link", "set", "cali2", "up"]);
    await waitFor(async () => (await ours()).includes("unicast 198.51.100.8 dev cali2"), {
      what: "route on new interface",
      timeoutMs: 5000,
    });
    // the interface is deleted and re-created: its route comes back on the new ifindex
    await a.ip(["link", "del", "cali2"]);
    await a.ip(["link", "add", "cali2", "type", "veth", "peer", "name", "pod2", "netns", b.netns]);
    await b.ip(["link", "set", "pod2", "up"]);
    await a.ip(["link", "set", "cali2", "up"]);
    await waitFor(async () => (await ours()).includes("unicast 198.51.100.8 dev cali2"), {
      what: "route on re-created interface",
      timeoutMs: 5000,
    });
  });

  it("retries a route the kernel refused for a transient reason until it can be installed", async () => {
    rec.upsert("bgp2", { dst: "198.51.100.160/27", gateway: "203.0.113.50" });
    const r = await rec.apply();
    expect(r.failures.map((f) => f.error.code)).toEqual(["ENETUNREACH"]);
    // the next hop becomes reachable: the backoff retry installs the route
    await a.ip(["addr", "add", "203.0.113.1/24", "dev", "eth0"]);
    await waitFor(
      async () => (await ours()).includes("unicast 198.51.100.160/27 via 203.0.113.50"),
      {
        what: "retried route",
        timeoutMs: 5000,
      },
    );
    rec.setRoutes("bgp2", []);
    await waitFor(async () => !(await ours()).some((x) => x.includes("198.51.100.160")), {
      what: "retried route withdrawn",
      timeoutMs: 5000,
    });
  });

  it("withdrawn routes are deleted; winners change when a source withdraws", async () => {
    rec.setRoutes("blocks", []);
    await waitFor(async () => (await ours()).includes("unicast 198.51.100.0/26 via 192.0.2.2"), {
      what: "bgp route takes over",
      timeoutMs: 5000,
    });
    rec.remove("pods", "198.51.100.8/32");
    rec.setRoutes("bgp", []);
    await waitFor(async () => (await ours()).join() === "unicast 198.51.100.7 dev cali1", {
      what: "withdrawn routes gone",
      timeoutMs: 5000,
    });
    const routes = await a.ipJson<IpRoute[]>(["route", "show", "table", "all"]);
    expect(routes.some((r) => r.dst === "203.0.113.0/24")).toBe(true);
    expect(routes.some((r) => r.dst === "203.0.113.128/25")).toBe(true);
    expect(routes.some((r) => r.dst === "198.51.100.192/26")).toBe(true);
    expect(errors).toEqual([]);
  });
});
