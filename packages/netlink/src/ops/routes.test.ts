import { describe, expect, it } from "vitest";
import { RouteFlags, RouteProtocol, RouteType, Scope } from "../wire/constants.js";
import { describeRoute, routeFromSpecSync } from "./routes.js";

const idx = (r: string | number) => (typeof r === "number" ? r : r === "eth0" ? 2 : 7);

describe("route specs to kernel routes (ip's defaults)", () => {
  it("add: protocol boot, table main, scope link for a device route, universe with a gateway", () => {
    expect(routeFromSpecSync("add", { dst: "198.51.100.0/24", dev: "eth0" }, idx)).toMatchObject({
      family: 2,
      table: 254,
      protocol: RouteProtocol.boot,
      scope: Scope.link,
      type: RouteType.unicast,
      oif: 2,
    });
    expect(
      routeFromSpecSync("add", { dst: "198.51.100.0/24", gateway: "192.0.2.2" }, idx).scope,
    ).toBe(Scope.universe);
    expect(
      routeFromSpecSync("add", { dst: "192.0.2.9/32", type: "local", dev: "eth0" }, idx).scope,
    ).toBe(Scope.host);
  });

  it("delete matches anything not given: scope nowhere, protocol and type unspecified", () => {
    expect(routeFromSpecSync("delete", { dst: "198.51.100.0/24" }, idx)).toMatchObject({
      scope: Scope.nowhere,
      protocol: 0,
      type: 0,
    });
  });

  it("default routes take their family from the gateway or the option", () => {
    expect(routeFromSpecSync("add", { dst: "default", gateway: "2001:db8::1" }, idx)).toMatchObject(
      {
        family: 10,
        dst: "::/0",
      },
    );
    expect(routeFromSpecSync("add", { dst: "default", family: 4, dev: "eth0" }, idx).dst).toBe(
      "0.0.0.0/0",
    );
  });

  it("ECMP next hops, onlink, via of the other family", () => {
    const r = routeFromSpecSync(
      "replace",
      {
        dst: "203.0.113.0/24",
        nexthops: [
          { gateway: "192.0.2.2", dev: "cali1", weight: 3, onlink: true },
          { via: "2001:db8::2" },
        ],
        metric: 5,
      },
      idx,
    );
    expect(r.multipath).toEqual([
      { gateway: "192.0.2.2", oif: 7, weight: 3, flags: RouteFlags.onlink },
      { via: "2001:db8::2", oif: 0, weight: 1, flags: 0 },
    ]);
    expect(r.priority).toBe(5);
    expect(
      routeFromSpecSync("add", { dst: "203.0.113.0/24", gateway: "203.0.113.1", onlink: true }, idx)
        .flags,
    ).toBe(RouteFlags.onlink);
  });

  it("describes each operation as the ip command", () => {
    expect(
      describeRoute("add", {
        dst: "198.51.100.0/24",
        via: "2001:db8::2",
        dev: "eth0",
        table: 7,
        metric: 3,
      }),
    ).toBe("ip route add 198.51.100.0/24 via inet6 2001:db8::2 dev eth0 table 7 metric 3");
    expect(describeRoute("delete", { dst: "198.51.100.0/26", type: "blackhole" })).toBe(
      "ip route delete blackhole 198.51.100.0/26",
    );
  });
});
