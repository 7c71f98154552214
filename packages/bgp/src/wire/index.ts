/**
 * The BGP-4 wire codec: pure functions over `Uint8Array`, no I/O.
 *
 * Files:
 * - `constants.ts`   IANA code points (`as const`): message types, AFI/SAFI,
 *                    attribute and capability codes, NOTIFICATION codes/subcodes.
 * - `errors.ts`      `BgpDecodeError` (remote violation: NOTIFICATION code,
 *                    subcode, data, RFC 7606 action) and `BgpEncodeError`.
 * - `context.ts`     `CodecContext`: 4-octet AS, ADD-PATH per family, extended message.
 * - `header.ts`      `checkHeader()` (every header check, at 19 octets) and
 *                    `messageLength()`: framing, RFC 4271 §4.1 and §6.1;
 *                    `maxMessageLength()` by negotiation (RFC 8654).
 * - `framer.ts`      `Framer`: byte-stream chunks → whole messages, one at a
 *                    time, each header checked as soon as it is in.
 * - `message.ts`     `decodeMessage()` / `encodeMessage()` and the `BgpMessage` union.
 * - `messages/`      OPEN, UPDATE (RFC 7606 handling), NOTIFICATION (RFC 9003;
 *                    `fitNotification` cuts the data to the maximum length),
 *                    `encodeUpdates` (splitting to the maximum length),
 *                    `negotiateContext` (from two OPENs),
 *                    KEEPALIVE, ROUTE-REFRESH (RFC 2918/7313), End-of-RIB.
 * - `capabilities/`  one file per capability, `table.ts` registers them.
 * - `attributes/`    one file per path attribute, `table.ts` registers them.
 * - `prefix.ts`      `Prefix` and the NLRI encoding (with ADD-PATH ids).
 * - `nlri-v4.ts`     IPv4 NLRI fields decoded into numbers (the receive
 *                    path's fast form, no object per prefix).
 * - `address.ts`     IPv4/IPv6 text ↔ bytes.
 * - `as4.ts`         AS4_PATH/AS4_AGGREGATOR interworking, RFC 6793 §4.2.
 * - `bytes.ts`       big-endian reads and the `ByteWriter`.
 */

export { formatAddress, formatIpv4, formatIpv6, parseAddress, parseIpv4 } from "./address.js";
export { asPathLength, mergeAs4Path, reconstructAs4, splitAs4 } from "./as4.js";
export type { AggregatorAttribute } from "./attributes/aggregator.js";
export type { AsPathAttribute } from "./attributes/as-path.js";
export type { As4AggregatorAttribute } from "./attributes/as4-aggregator.js";
export type { As4PathAttribute } from "./attributes/as4-path.js";
export type { AtomicAggregateAttribute } from "./attributes/atomic-aggregate.js";
export type { ClusterListAttribute } from "./attributes/cluster-list.js";
export { type CommunitiesAttribute, community } from "./attributes/communities.js";
export type { AttributeBase, AttributeDescriptor } from "./attributes/descriptor.js";
export {
  type ExtendedCommunitiesAttribute,
  routeTarget,
} from "./attributes/extended-communities.js";
export type { LargeCommunitiesAttribute, LargeCommunity } from "./attributes/large-communities.js";
export type { LocalPrefAttribute } from "./attributes/local-pref.js";
export type { MedAttribute } from "./attributes/med.js";
export type { MpReachAttribute } from "./attributes/mp-reach.js";
export type { MpUnreachAttribute } from "./attributes/mp-unreach.js";
export type { NextHopAttribute } from "./attributes/next-hop.js";
export type { OriginAttribute } from "./attributes/origin.js";
export type { OriginatorIdAttribute } from "./attributes/originator-id.js";
export type { OtcAttribute } from "./attributes/otc.js";
export type { AsPathSegment } from "./attributes/segments.js";
export {
  ATTRIBUTE_TABLE,
  type AttributeOf,
  attributeDescriptor,
  encodeAttribute,
  findAttribute,
  forwardAttributes,
  type PathAttribute,
  type PathAttributeType,
} from "./attributes/table.js";
export type { UnknownAttribute } from "./attributes/unknown.js";
export { ByteWriter, u16, u32 } from "./bytes.js";
export type { AddPathCapability, AddPathFamily } from "./capabilities/add-path.js";
export type { CapabilityDescriptor } from "./capabilities/descriptor.js";
export type { EnhancedRouteRefreshCapability } from "./capabilities/enhanced-route-refresh.js";
export type { ExtendedMessageCapability } from "./capabilities/extended-message.js";
export type {
  ExtendedNextHopCapability,
  ExtendedNextHopEntry,
} from "./capabilities/extended-next-hop.js";
export type { FourOctetAsCapability } from "./capabilities/four-octet-as.js";
export type { FqdnCapability } from "./capabilities/fqdn.js";
export {
  type GracefulRestartCapability,
  type GracefulRestartFamily,
  GracefulRestartFamilyFlag,
  GracefulRestartFlag,
} from "./capabilities/graceful-restart.js";
export type { MultiprotocolCapability } from "./capabilities/multiprotocol.js";
export type { RoleCapability } from "./capabilities/role.js";
export type { RouteRefreshCapability } from "./capabilities/route-refresh.js";
export {
  CAPABILITY_TABLE,
  type Capability,
  decodeCapabilities,
  encodeCapability,
} from "./capabilities/table.js";
export type { UnknownCapability } from "./capabilities/unknown.js";
export * from "./constants.js";
export {
  addPathReceive,
  addPathSend,
  type CodecContext,
  codecContext,
  DEFAULT_CONTEXT,
  type Family,
} from "./context.js";
export {
  BgpDecodeError,
  type BgpDecodeErrorInit,
  BgpEncodeError,
  type ErrorAction,
  strongerAction,
} from "./errors.js";
export { Framer, type FramerOptions } from "./framer.js";
export { checkHeader, MIN_MESSAGE_LENGTH, maxMessageLength, messageLength } from "./header.js";
export { type BgpMessage, type DecodedMessage, decodeMessage, encodeMessage } from "./message.js";
export { endOfRib, endOfRibFamily } from "./messages/end-of-rib.js";
export { KEEPALIVE, type KeepaliveMessage } from "./messages/keepalive.js";
export { negotiateContext } from "./messages/negotiate.js";
export {
  fitNotification,
  maxPrefixesNotification,
  type NotificationMessage,
  notificationFromError,
  notificationMessage,
  shutdownNotification,
} from "./messages/notification.js";
export {
  type OpenInit,
  type OpenLayout,
  type OpenMessage,
  openAs,
  openMessage,
} from "./messages/open.js";
export { encodeUpdates } from "./messages/pack.js";
export type { RouteRefreshMessage } from "./messages/route-refresh.js";
export {
  decodeUpdate,
  type UpdateDecodeResult,
  type UpdateMessage,
  updatePrefixes,
} from "./messages/update.js";
export { decodeIpv4Nlri, type Ipv4Nlri, ipv4NlriCount, ipv4NlriPrefixes } from "./nlri-v4.js";
export {
  decodePrefixes,
  encodePrefixes,
  formatPrefix,
  maxPrefixLength,
  type Prefix,
  parsePrefix,
  prefixKey,
} from "./prefix.js";
