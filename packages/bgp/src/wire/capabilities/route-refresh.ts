// Route Refresh capability, code 2 (RFC 2918 §2): no value.
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The speaker accepts ROUTE-REFRESH messages. */
export interface RouteRefreshCapability {
  readonly type: "route-refresh";
}

/** Codec of the Route Refresh capability. */
export const routeRefresh: CapabilityDescriptor<RouteRefreshCapability> = {
  code: CapabilityCode.RouteRefresh,
  type: "route-refresh",
  decode(_b, start, end) {
    expectLength("route refresh", start, end, 0);
    return { type: "route-refresh" };
  },
  encode() {},
};
