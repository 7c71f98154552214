// The capability descriptor table (one entry per file in this folder), and
// the decoder/encoder of a Capabilities Optional Parameter value (RFC 5492 §4):
//
//   +------------------------------+
//   | Capability Code (1 octet)    |
//   +------------------------------+
//   | Capability Length (1 octet)  |
//   +------------------------------+
//   | Capability Value (variable)  |
//   ~                              ~
//   +------------------------------+   ... repeated
import type { ByteWriter } from "../bytes.js";
import { BgpEncodeError } from "../errors.js";
import { type AddPathCapability, addPath } from "./add-path.js";
import { type CapabilityDescriptor, capabilityError } from "./descriptor.js";
import {
  type EnhancedRouteRefreshCapability,
  enhancedRouteRefresh,
} from "./enhanced-route-refresh.js";
import { type ExtendedMessageCapability, extendedMessage } from "./extended-message.js";
import { type ExtendedNextHopCapability, extendedNextHop } from "./extended-next-hop.js";
import { type FourOctetAsCapability, fourOctetAs } from "./four-octet-as.js";
import { type FqdnCapability, fqdn } from "./fqdn.js";
import { type GracefulRestartCapability, gracefulRestart } from "./graceful-restart.js";
import { type MultiprotocolCapability, multiprotocol } from "./multiprotocol.js";
import { type RoleCapability, role } from "./role.js";
import { type RouteRefreshCapability, routeRefresh } from "./route-refresh.js";
import type { UnknownCapability } from "./unknown.js";

/** Any OPEN capability, discriminated by `type`. */
export type Capability =
  | MultiprotocolCapability
  | RouteRefreshCapability
  | ExtendedNextHopCapability
  | ExtendedMessageCapability
  | RoleCapability
  | GracefulRestartCapability
  | FourOctetAsCapability
  | AddPathCapability
  | EnhancedRouteRefreshCapability
  | FqdnCapability
  | UnknownCapability;

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table; each entry is typed in its file.
type AnyDescriptor = CapabilityDescriptor<any>;

/** Every capability this codec interprets, by code. */
export const CAPABILITY_TABLE: ReadonlyMap<number, AnyDescriptor> = new Map<number, AnyDescriptor>(
  [
    multiprotocol,
    routeRefresh,
    extendedNextHop,
    extendedMessage,
    role,
    gracefulRestart,
    fourOctetAs,
    addPath,
    enhancedRouteRefresh,
    fqdn,
  ].map((d) => [d.code, d]),
);

const byType = new Map<string, AnyDescriptor>(
  [...CAPABILITY_TABLE.values()].map((d) => [d.type, d]),
);

/** Decodes the capabilities in `b[start..end)`. Throws {@link BgpDecodeError}. */
export function decodeCapabilities(b: Uint8Array, start: number, end: number): Capability[] {
  const out: Capability[] = [];
  let i = start;
  while (i < end) {
    if (i + 2 > end) throw capabilityError("capability", "header overruns the parameter");
    const code = b[i]!;
    const len = b[i + 1]!;
    const vs = i + 2;
    const ve = vs + len;
    if (ve > end) throw capabilityError("capability", `code ${code} overruns the parameter`);
    const d = CAPABILITY_TABLE.get(code);
    out.push(d ? d.decode(b, vs, ve) : { type: "unknown", code, value: b.slice(vs, ve) });
    i = ve;
  }
  return out;
}

/** Writes one capability (code, length, value). Throws {@link BgpEncodeError} if too long. */
export function encodeCapability(cap: Capability, w: ByteWriter): void {
  const at = w.pos;
  if (cap.type === "unknown") {
    w.u8(cap.code);
    w.u8(0);
    w.bytes(cap.value);
  } else {
    const d = byType.get(cap.type);
    if (!d) throw new BgpEncodeError(`unknown capability type ${String(cap.type)}`);
    w.u8(d.code);
    w.u8(0);
    d.encode(cap, w);
  }
  const len = w.pos - at - 2;
  if (len > 255) throw new BgpEncodeError(`capability ${cap.type} longer than 255 octets`);
  w.patch8(at + 1, len);
}
