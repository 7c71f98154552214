// IANA code points used by the BGP-4 wire format, as `as const` objects with
// derived union types. Sources: IANA "Border Gateway Protocol (BGP)
// Parameters", "Capability Codes", "Address Family Numbers" and "SAFI Values".

/** BGP message types (RFC 4271 §4.1, RFC 2918 §3). */
export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;
/** A BGP message type code. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Address Family Identifiers (IANA Address Family Numbers). */
export const Afi = { Ipv4: 1, Ipv6: 2 } as const;
/** An AFI value; other AFIs appear as plain numbers. */
export type Afi = (typeof Afi)[keyof typeof Afi];

/** Subsequent Address Family Identifiers (RFC 4760 §6, IANA SAFI values). */
export const Safi = { Unicast: 1, Multicast: 2, MplsVpn: 128, FlowSpec: 133 } as const;
/** A SAFI value. */
export type Safi = (typeof Safi)[keyof typeof Safi];

/** Path attribute type codes (IANA "BGP Path Attributes"). */
export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
  Otc: 35,
} as const;
/** A known path attribute type code. */
export type AttrType = (typeof AttrType)[keyof typeof AttrType];

/** Path attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10,
} as const;

/** ORIGIN values (RFC 4271 §5.1.1). */
export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;
/** An ORIGIN value. */
export type Origin = (typeof Origin)[keyof typeof Origin];

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3). */
export const AsPathSegmentType = {
  AsSet: 1,
  AsSequence: 2,
  ConfedSequence: 3,
  ConfedSet: 4,
} as const;
/** An AS_PATH segment type. */
export type AsPathSegmentType = (typeof AsPathSegmentType)[keyof typeof AsPathSegmentType];

/** Capability codes (IANA "Capability Codes"). */
export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedNextHop: 5,
  ExtendedMessage: 6,
  Role: 9,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  LongLivedGracefulRestart: 71,
  Fqdn: 73,
} as const;
/** A known capability code. */
export type CapabilityCode = (typeof CapabilityCode)[keyof typeof CapabilityCode];

/** OPEN optional parameter types (RFC 5492 §4; RFC 9072 §2 uses 255). */
export const OptionalParameterType = { Capabilities: 2, ExtendedLength: 255 } as const;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5). */
export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FsmError: 5,
  Cease: 6,
  RouteRefreshMessage: 7,
  /** RFC 9687 §4: the peer did not read our messages for the send hold time. */
  SendHoldTimerExpired: 8,
} as const;
/** A NOTIFICATION error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Message Header Error subcodes (RFC 4271 §6.1). */
export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5, RFC 9234 §4.2). */
export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
  RoleMismatch: 11,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §6.3). */
export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** Finite State Machine Error subcodes (RFC 6608 §3). */
export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

/** Cease subcodes (RFC 4486 §4; 9 from RFC 8538; 10 from RFC 9384). */
export const CeaseSubcode = {
  Unspecified: 0,
  MaximumPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 §5). */
export const RouteRefreshSubcode = { InvalidMessageLength: 1 } as const;

/** A NOTIFICATION error code's name and its subcodes' names. */
export interface NotificationNames {
  readonly name: string;
  readonly subcodes: Readonly<Record<number, string>>;
}

/**
 * Every NOTIFICATION error code and subcode by IANA's names ("BGP Error
 * (Notification) Codes" and its subcode registries; RFC 4271 §4.5, §6.1–6.6,
 * RFC 4486, RFC 5492, RFC 6608, RFC 7313, RFC 8538, RFC 9234, RFC 9384,
 * RFC 9687). The one table every NOTIFICATION text comes from:
 * {@link notificationName} (status) and {@link notificationText} (log lines,
 * in BIRD's wording).
 */
export const NOTIFICATIONS: Readonly<Record<number, NotificationNames>> = {
  [ErrorCode.MessageHeader]: {
    name: "Message Header Error",
    subcodes: {
      [HeaderSubcode.ConnectionNotSynchronized]: "Connection Not Synchronized",
      [HeaderSubcode.BadMessageLength]: "Bad Message Length",
      [HeaderSubcode.BadMessageType]: "Bad Message Type",
    },
  },
  [ErrorCode.OpenMessage]: {
    name: "OPEN Message Error",
    subcodes: {
      [OpenSubcode.UnsupportedVersionNumber]: "Unsupported Version Number",
      [OpenSubcode.BadPeerAs]: "Bad Peer AS",
      [OpenSubcode.BadBgpIdentifier]: "Bad BGP Identifier",
      [OpenSubcode.UnsupportedOptionalParameter]: "Unsupported Optional Parameter",
      [OpenSubcode.UnacceptableHoldTime]: "Unacceptable Hold Time",
      [OpenSubcode.UnsupportedCapability]: "Unsupported Capability",
      [OpenSubcode.RoleMismatch]: "Role Mismatch",
    },
  },
  [ErrorCode.UpdateMessage]: {
    name: "UPDATE Message Error",
    subcodes: {
      [UpdateSubcode.MalformedAttributeList]: "Malformed Attribute List",
      [UpdateSubcode.UnrecognizedWellKnownAttribute]: "Unrecognized Well-known Attribute",
      [UpdateSubcode.MissingWellKnownAttribute]: "Missing Well-known Attribute",
      [UpdateSubcode.AttributeFlagsError]: "Attribute Flags Error",
      [UpdateSubcode.AttributeLengthError]: "Attribute Length Error",
      [UpdateSubcode.InvalidOriginAttribute]: "Invalid ORIGIN Attribute",
      [UpdateSubcode.InvalidNextHopAttribute]: "Invalid NEXT_HOP Attribute",
      [UpdateSubcode.OptionalAttributeError]: "Optional Attribute Error",
      [UpdateSubcode.InvalidNetworkField]: "Invalid Network Field",
      [UpdateSubcode.MalformedAsPath]: "Malformed AS_PATH",
    },
  },
  [ErrorCode.HoldTimerExpired]: { name: "Hold Timer Expired", subcodes: {} },
  [ErrorCode.FsmError]: {
    name: "Finite State Machine Error",
    subcodes: {
      [FsmSubcode.UnexpectedMessageInOpenSent]: "Receive Unexpected Message in OpenSent State",
      [FsmSubcode.UnexpectedMessageInOpenConfirm]:
        "Receive Unexpected Message in OpenConfirm State",
      [FsmSubcode.UnexpectedMessageInEstablished]:
        "Receive Unexpected Message in Established State",
    },
  },
  [ErrorCode.Cease]: {
    name: "Cease",
    subcodes: {
      [CeaseSubcode.MaximumPrefixesReached]: "Maximum Number of Prefixes Reached",
      [CeaseSubcode.AdministrativeShutdown]: "Administrative Shutdown",
      [CeaseSubcode.PeerDeconfigured]: "Peer De-configured",
      [CeaseSubcode.AdministrativeReset]: "Administrative Reset",
      [CeaseSubcode.ConnectionRejected]: "Connection Rejected",
      [CeaseSubcode.OtherConfigurationChange]: "Other Configuration Change",
      [CeaseSubcode.ConnectionCollisionResolution]: "Connection Collision Resolution",
      [CeaseSubcode.OutOfResources]: "Out of Resources",
      [CeaseSubcode.HardReset]: "Hard Reset",
      [CeaseSubcode.BfdDown]: "BFD Down",
    },
  },
  [ErrorCode.RouteRefreshMessage]: {
    name: "ROUTE-REFRESH Message Error",
    subcodes: { [RouteRefreshSubcode.InvalidMessageLength]: "Invalid Message Length" },
  },
  [ErrorCode.SendHoldTimerExpired]: { name: "Send Hold Timer Expired", subcodes: {} },
};

/** Readable names of the NOTIFICATION error codes (from {@link NOTIFICATIONS}). */
export const ERROR_CODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(NOTIFICATIONS).map(([code, n]) => [code, n.name]),
);

/** Readable names of the Cease subcodes (from {@link NOTIFICATIONS}). */
export const CEASE_SUBCODE_NAMES: Readonly<Record<number, string>> =
  NOTIFICATIONS[ErrorCode.Cease]!.subcodes;

/**
 * IANA's names of a code and subcode: "Cease / Administrative Shutdown",
 * "OPEN Message Error / Bad Peer AS", "Hold Timer Expired / subcode 0",
 * "code 99 / subcode 1".
 */
export function notificationName(code: number, subcode: number): string {
  const n = NOTIFICATIONS[code];
  return `${n?.name ?? `code ${code}`} / ${n?.subcodes[subcode] ?? `subcode ${subcode}`}`;
}

/**
 * The one name an operator reads in a log, in BIRD's wording: the subcode's
 * name when there is one ("Bad peer AS", "Connection collision resolution"),
 * else the code's ("Hold timer expired"; "OPEN message error, subcode 99"),
 * in sentence case (acronyms and field names such as AS_PATH kept);
 * "error code 42, subcode 1" for an unknown code.
 */
export function notificationText(code: number, subcode: number): string {
  const n = NOTIFICATIONS[code];
  if (!n) return `error code ${code}, subcode ${subcode}`;
  const sub = n.subcodes[subcode];
  if (sub) return sentenceCase(sub);
  const base = sentenceCase(n.name);
  return subcode === 0 || Object.keys(n.subcodes).length === 0
    ? base
    : `${base}, subcode ${subcode}`;
}

/**
 * "Bad Peer AS" → "Bad peer AS": each word after the first in lower case,
 * unless it has a capital past its first letter (AS, AS_PATH, OpenSent).
 */
function sentenceCase(name: string): string {
  return name
    .split(" ")
    .map((w, i) => (i === 0 || /^.+[A-Z]/.test(w) ? w : w.toLowerCase()))
    .join(" ");
}

/** ROUTE-REFRESH message subtypes (RFC 7313 §3.2; 0 is the RFC 2918 request). */
export const RouteRefreshSubtype = { Normal: 0, BoRR: 1, EoRR: 2 } as const;

/** BGP roles (RFC 9234 §4.1). */
export const Role = {
  Provider: 0,
  RouteServer: 1,
  RouteServerClient: 2,
  Customer: 3,
  Peer: 4,
} as const;
/** A BGP role value. */
export type Role = (typeof Role)[keyof typeof Role];

/** ADD-PATH Send/Receive field (RFC 7911 §4). */
export const AddPathMode = { Receive: 1, Send: 2, Both: 3 } as const;
/** An ADD-PATH Send/Receive value. */
export type AddPathMode = (typeof AddPathMode)[keyof typeof AddPathMode];

/** Well-known communities (RFC 1997, RFC 7999, RFC 8326). */
export const WellKnownCommunity = {
  GracefulShutdown: 0xffff0000,
  Blackhole: 0xffff029a,
  NoExport: 0xffffff01,
  NoAdvertise: 0xffffff02,
  NoExportSubconfed: 0xffffff03,
  NoPeer: 0xffffff04,
} as const;

/** AS_TRANS, the 2-octet stand-in for a 4-octet AS number (RFC 6793 §9). */
export const AS_TRANS = 23456;

/** The BGP header length: 16-octet marker, 2-octet length, 1-octet type. */
export const HEADER_LENGTH = 19;
/** Maximum message length without the Extended Message capability (RFC 4271 §4.1). */
export const MAX_MESSAGE_LENGTH = 4096;
/** Maximum message length with the Extended Message capability (RFC 8654 §3). */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;
