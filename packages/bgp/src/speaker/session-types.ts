// The shapes a session shows the world: counters, status, events, and what
// it needs from its speaker. Types only (and the counters' zero value).
import type { SessionState } from "../fsm/index.js";
import type { Rib } from "../rib/rib.js";
import type { BgpMessage } from "../wire/index.js";
import type { PeerConfig } from "./config.js";
import type { LocalGracefulRestart } from "./graceful-restart.js";
import type { RouteChanges } from "./routes.js";

/** Per message type counters. */
export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

/** All counters at zero. */
export const zeroCounters = (): MessageCounters => ({
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  routeRefresh: 0,
});

/** A NOTIFICATION as status shows it. */
export interface NotificationInfo {
  readonly code: number;
  readonly subcode: number;
  /** RFC 9003 Shutdown Communication, when present. */
  readonly message?: string;
  /** Readable name of the code/subcode. */
  readonly text: string;
}

/** Why the session last failed or went down. */
export interface LastError {
  /** The FSM event (RFC 4271 §8.1 name) that caused it. */
  readonly event: string;
  /** The state it happened in. */
  readonly state: SessionState;
  /** Wall-clock time, ms since the epoch. */
  readonly at: number;
  readonly reason?: string;
  readonly sent?: NotificationInfo;
  readonly received?: NotificationInfo;
}

/** The negotiated session, as status shows it. */
export interface SessionInfo {
  readonly peerAs: number;
  readonly peerRouterId: string;
  readonly internal: boolean;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly families: readonly string[];
  readonly fourOctetAs: boolean;
  readonly extendedMessage: boolean;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly addPath: readonly { family: string; send: boolean; receive: boolean }[];
  readonly gracefulRestart: boolean;
  readonly peerHostname?: string;
}

/** Everything the speaker's status API reports about one peer. */
export interface PeerStatus {
  readonly address: string;
  readonly port: number;
  /** Configured AS, or the AS learned from the OPEN for dynamic neighbors. */
  readonly asn: number | "internal" | "external";
  readonly localAsn: number;
  readonly description?: string;
  /** Created from a dynamic-neighbor range. */
  readonly dynamic: boolean;
  readonly passive: boolean;
  readonly state: SessionState;
  /** When the current state was entered, ms since the epoch. */
  readonly since: number;
  /** Milliseconds Established, when Established. */
  readonly uptimeMs?: number;
  readonly connection?: {
    readonly direction: "outgoing" | "incoming";
    readonly localAddress: string;
    readonly localPort: number;
    readonly remotePort: number;
  };
  readonly session?: SessionInfo;
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
  readonly prefixes: {
    readonly received: number;
    readonly advertised: number;
    /** Routes kept from a restarting peer, not yet refreshed (RFC 4724 §4.2). */
    readonly stale: number;
  };
  readonly connectRetryCounter: number;
  readonly flaps: number;
  /** Internal errors contained in this session (each ended the session; see the "session-error" event). */
  readonly internalErrors: number;
  readonly lastError?: LastError;
}

/** An internal error contained in one session (a bug of ours, not the peer's). */
export interface SessionErrorInfo {
  /** Where it was caught: "data", "timer", "close", "connect", "announce", "listener"… */
  readonly where: string;
  /** The error's message (and stack, when there is one). */
  readonly message: string;
  /** Whether the session was ended because of it (listener errors do not end it). */
  readonly ended: boolean;
}

/** What a session needs from its speaker. */
export interface SessionHost {
  readonly asn: number;
  readonly routerId: string;
  readonly netns?: string;
  /** Graceful restart for every session, unless a peer overrides it. */
  readonly gracefulRestart?: LocalGracefulRestart;
  /** This process is a restart: the first OPEN to each peer sets the R bit (RFC 4724 §4.1). */
  readonly restarting?: boolean;
  /** The speaker's RIB: sessions feed it UPDATEs and drain their Adj-RIB-Out from it. */
  readonly rib: Rib;
  /** Milliseconds changes are coalesced before UPDATEs are sent. */
  readonly updateDelayMs: number;
  /** The RIB changed: the speaker schedules sending to every peer with pending changes. */
  changed(): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

/** Events a session emits. */
export interface SessionEvents {
  state: [from: SessionState, to: SessionState];
  up: [info: SessionInfo];
  down: [error: LastError];
  routes: [changes: RouteChanges];
  /**
   * The session went down but the peer does graceful restart (RFC 4724
   * §4.2): its routes (keys) are kept, marked stale, for up to
   * `restartTime` seconds.
   */
  stale: [e: { keys: readonly string[]; restartTime: number }];
  "end-of-rib": [family: string];
  "route-refresh": [family: string];
  /** A local problem that did not reset the session (e.g. a route without a usable next hop). */
  warning: [message: string];
  /** An internal error was contained: the session ended (Cease / Out of Resources), the process did not. */
  "session-error": [info: SessionErrorInfo];
}

/** The counter each message type is counted in. */
export const COUNTER_OF: Record<BgpMessage["type"], keyof MessageCounters> = {
  open: "open",
  update: "update",
  notification: "notification",
  keepalive: "keepalive",
  "route-refresh": "routeRefresh",
};

/** The resolved settings of one session (a configured peer or one from a dynamic range). */
export interface SessionSettings {
  readonly peer: PeerConfig;
  /** Peer AS constraint ("internal"/"external" for dynamic ranges). */
  readonly peerAs: number | "internal" | "external";
  readonly dynamic: boolean;
}
