/**
 * Per-peer FSM configuration: the session attributes of RFC 4271 §8 (mandatory)
 * and §8.1.1 (optional), with defaults, checked once by {@link resolveConfig}.
 *
 * Times are in seconds, as in the OPEN message and in BIRD/FRR configuration;
 * the FSM turns them into millisecond deadlines on the `now` clock it is given.
 */
import type { CapabilitiesDescriptor } from "./capabilities.js";
import { IPV4_UNICAST } from "./capabilities.js";

/** What the caller configures; everything but `localAs` and `bgpId` has a default. */
export interface FsmOptions {
  /** Our AS number (1..4294967295). */
  readonly localAs: number;
  /** Our BGP Identifier as an unsigned 32-bit integer (see `parseBgpId`). */
  readonly bgpId: number;
  /**
   * The AS the peer must announce (RFC 4271 §6.2, Bad Peer AS): a number,
   * `"internal"` (our AS), `"external"` (any other AS), or absent for any AS
   * (dynamic neighbors learn it from the OPEN).
   */
  readonly peerAs?: number | "internal" | "external";
  /** The BGP Identifier the peer must announce, when known out of band. */
  readonly peerBgpId?: number;
  /** HoldTime we propose, seconds: 0 or 3..65535 (RFC 4271 §4.2). Default 90 (§10). */
  readonly holdTime?: number;
  /**
   * KeepaliveTime, seconds. Default: a third of the negotiated hold time
   * (RFC 4271 §10); never more than that.
   */
  readonly keepaliveTime?: number;
  /**
   * Smallest non-zero hold time the peer may propose, seconds (RFC 4271 §6.2
   * lets an implementation reject any value; 1 and 2 are always rejected).
   * Default 3.
   */
  readonly minHoldTime?: number;
  /** Accept a peer's hold time of 0 (no keepalives). Default true. */
  readonly allowZeroHoldTime?: boolean;
  /** ConnectRetryTime, seconds (RFC 4271 §10 suggests 120). Default 120. */
  readonly connectRetryTime?: number;
  /** HoldTimer while waiting for the peer's OPEN, seconds (§8.2.2 suggests 4 minutes). Default 240. */
  readonly openHoldTime?: number;
  /** PassiveTcpEstablishment (§8.1.1): never initiate connections. Default false. */
  readonly passive?: boolean;
  /** DelayOpen (§8.1.1): wait for the peer's OPEN before sending ours. Default false. */
  readonly delayOpen?: boolean;
  /** DelayOpenTime, seconds. Default 5 (used only with `delayOpen`). */
  readonly delayOpenTime?: number;
  /** SendNOTIFICATIONwithoutOPEN (§8.1.1). Default false. */
  readonly sendNotificationWithoutOpen?: boolean;
  /** CollisionDetectEstablishedState (§8.1.1). Default false. */
  readonly collisionDetectEstablishedState?: boolean;
  /**
   * AllowAutomaticStart (§8.1.1): after a failure the FSM restarts by itself
   * when the IdleHoldTimer expires. Default true.
   */
  readonly allowAutomaticStart?: boolean;
  /**
   * DampPeerOscillations (§8.1.1): the IdleHoldTime doubles after each
   * failure, up to `maxIdleHoldTime`. Default true.
   */
  readonly dampPeerOscillations?: boolean;
  /** First IdleHoldTime after a failure, seconds (BIRD: `error wait time` min). Default 1. */
  readonly idleHoldTime?: number;
  /** Largest IdleHoldTime, seconds (BIRD: `error wait time` max). Default 120. */
  readonly maxIdleHoldTime?: number;
  /**
   * A session Established at least this long resets the IdleHoldTime to
   * `idleHoldTime` when it goes down, seconds (BIRD: `error forget time`). Default 60.
   */
  readonly idleHoldResetTime?: number;
  /** Capabilities we advertise (RFC 5492). Default: IPv4 unicast, route refresh, 4-octet AS. */
  readonly capabilities?: CapabilitiesDescriptor;
  /** Strict mode of RFC 9234 §4.2: the peer must advertise a matching role. Default false. */
  readonly strictRole?: boolean;
  /**
   * Jitter the ConnectRetry and Keepalive timers by a factor in [0.75, 1]
   * (RFC 4271 §10), deterministically from `jitterSeed` and the clock. Default false.
   */
  readonly jitter?: boolean;
  /** Per-peer seed for the jitter, any 32-bit integer. Default: our BGP Identifier. */
  readonly jitterSeed?: number;
}

/** The configuration with every default filled in, as the FSM holds it. */
export type FsmConfig = Required<Omit<FsmOptions, "peerAs" | "peerBgpId" | "keepaliveTime">> &
  Pick<FsmOptions, "peerAs" | "peerBgpId" | "keepaliveTime">;

/** Local misuse: a configuration value outside what RFC 4271 allows. */
export class FsmConfigError extends Error {
  override readonly name = "FsmConfigError";
  /** The offending option. */
  readonly option: string;
  /** @param option the option name; @param message what is wrong with it. */
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

const U32_MAX = 0xffff_ffff;

function check(ok: boolean, option: string, message: string): void {
  if (!ok) throw new FsmConfigError(option, message);
}

function isInt(n: unknown, min: number, max: number): boolean {
  return typeof n === "number" && Number.isInteger(n) && n >= min && n <= max;
}

function isSeconds(n: unknown, min: number): boolean {
  return typeof n === "number" && Number.isFinite(n) && n >= min;
}

/**
 * Fills in defaults and checks the values.
 * @throws FsmConfigError on a value RFC 4271 forbids (hold time 1 or 2, AS 0…).
 */
export function resolveConfig(o: FsmOptions): FsmConfig {
  check(isInt(o.localAs, 1, U32_MAX), "localAs", "must be an integer in 1..4294967295");
  check(isInt(o.bgpId, 1, U32_MAX), "bgpId", "must be a non-zero unsigned 32-bit integer");
  if (typeof o.peerAs === "number") {
    check(isInt(o.peerAs, 1, U32_MAX), "peerAs", "must be an integer in 1..4294967295");
  }
  if (o.peerBgpId !== undefined) {
    check(
      isInt(o.peerBgpId, 1, U32_MAX),
      "peerBgpId",
      "must be a non-zero unsigned 32-bit integer",
    );
  }
  const holdTime = o.holdTime ?? 90;
  check(
    isInt(holdTime, 0, 65535) && holdTime !== 1 && holdTime !== 2,
    "holdTime",
    "must be 0 or 3..65535 seconds (RFC 4271 §4.2)",
  );
  if (o.keepaliveTime !== undefined) {
    check(isInt(o.keepaliveTime, 0, 21845), "keepaliveTime", "must be an integer 0..21845 seconds");
  }
  const minHoldTime = o.minHoldTime ?? 3;
  check(isInt(minHoldTime, 3, 65535), "minHoldTime", "must be an integer 3..65535 seconds");
  const connectRetryTime = o.connectRetryTime ?? 120;
  check(isSeconds(connectRetryTime, 0.001), "connectRetryTime", "must be a positive number");
  const openHoldTime = o.openHoldTime ?? 240;
  check(isSeconds(openHoldTime, 0.001), "openHoldTime", "must be a positive number");
  const delayOpenTime = o.delayOpenTime ?? 5;
  check(isSeconds(delayOpenTime, 0.001), "delayOpenTime", "must be a positive number");
  const idleHoldTime = o.idleHoldTime ?? 1;
  check(isSeconds(idleHoldTime, 0.001), "idleHoldTime", "must be a positive number");
  const maxIdleHoldTime = o.maxIdleHoldTime ?? Math.max(120, idleHoldTime);
  check(
    isSeconds(maxIdleHoldTime, idleHoldTime),
    "maxIdleHoldTime",
    "must be a number not below idleHoldTime",
  );
  if (o.jitterSeed !== undefined) {
    check(Number.isInteger(o.jitterSeed), "jitterSeed", "must be an integer");
  }
  const idleHoldResetTime = o.idleHoldResetTime ?? 60;
  check(isSeconds(idleHoldResetTime, 0), "idleHoldResetTime", "must be a number >= 0");
  const config: FsmConfig = {
    localAs: o.localAs,
    bgpId: o.bgpId,
    peerAs: o.peerAs,
    peerBgpId: o.peerBgpId,
    holdTime,
    keepaliveTime: o.keepaliveTime,
    minHoldTime,
    allowZeroHoldTime: o.allowZeroHoldTime ?? true,
    connectRetryTime,
    openHoldTime,
    passive: o.passive ?? false,
    delayOpen: o.delayOpen ?? false,
    delayOpenTime,
    sendNotificationWithoutOpen: o.sendNotificationWithoutOpen ?? false,
    collisionDetectEstablishedState: o.collisionDetectEstablishedState ?? false,
    allowAutomaticStart: o.allowAutomaticStart ?? true,
    dampPeerOscillations: o.dampPeerOscillations ?? true,
    idleHoldTime,
    maxIdleHoldTime,
    idleHoldResetTime,
    capabilities: o.capabilities ?? {
      multiprotocol: [IPV4_UNICAST],
      routeRefresh: true,
      fourOctetAs: o.localAs,
    },
    strictRole: o.strictRole ?? false,
    jitter: o.jitter ?? false,
    jitterSeed: o.jitterSeed ?? o.bgpId,
  };
  return config;
}
