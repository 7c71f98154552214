// Enhanced Route Refresh capability, code 70 (RFC 7313 §3.1): no value.
import { CapabilityCode } from "../constants.js";
import { type CapabilityDescriptor, expectLength } from "./descriptor.js";

/** The speaker marks refreshes with BoRR/EoRR (RFC 7313). */
export interface EnhancedRouteRefreshCapability {
  readonly type: "enhanced-route-refresh";
}

/** Codec of the Enhanced Route Refresh capability. */
export const enhancedRouteRefresh: CapabilityDescriptor<EnhancedRouteRefreshCapability> = {
  code: CapabilityCode.EnhancedRouteRefresh,
  type: "enhanced-route-refresh",
  decode(_b, start, end) {
    expectLength("enhanced route refresh", start, end, 0);
    return { type: "enhanced-route-refresh" };
  },
  encode() {},
};
