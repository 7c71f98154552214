// What a session's configuration means for its FSM and its OPEN: the local
// AS, our graceful-restart settings (RFC 4724), the capabilities we send
// (RFC 5492) and the FSM's timers (RFC 4271 §8). Pure functions of the
// peer's configuration and the speaker's.
import { type FsmOptions, parseBgpId } from "../fsm/index.js";
import { GracefulRestartConfig } from "./config.js";
import type { LocalGracefulRestart } from "./graceful-restart.js";
import { type FamilyKey, type LocalCapabilities, localDescriptor } from "./open-map.js";
import type { SessionHost, SessionSettings } from "./session-types.js";

/** The families a peer is configured for (default: the family of its address). */
export function sessionFamilies(settings: SessionSettings): readonly FamilyKey[] {
  const p = settings.peer;
  return (p.families ?? [p.address.includes(":") ? "ipv6-unicast" : "ipv4-unicast"]) as FamilyKey[];
}

/** Our AS on this session (the peer's `localAsn`, or the speaker's). */
export function sessionLocalAs(settings: SessionSettings, host: SessionHost): number {
  return settings.peer.localAsn ?? host.asn;
}

/** Our graceful-restart settings for this session (the peer's override, or the speaker's). */
export function localGracefulRestart(
  settings: SessionSettings,
  host: SessionHost,
): LocalGracefulRestart | undefined {
  const { gracefulRestart: p, maxRestartTime } = settings.peer;
  if (p === false) return undefined;
  const gr = p ?? host.gracefulRestart;
  if (maxRestartTime === undefined) return gr;
  return { ...(gr ?? GracefulRestartConfig.parse({})), restartTime: maxRestartTime };
}

/** The capabilities we announce; `restarting`: the R bit (RFC 4724 §3), first OPEN after a restart only. */
export function localCapabilities(
  settings: SessionSettings,
  host: SessionHost,
  restarting: boolean,
): LocalCapabilities {
  const gr = localGracefulRestart(settings, host);
  return {
    asn: sessionLocalAs(settings, host),
    families: sessionFamilies(settings),
    ...(settings.peer.addPath ? { addPath: settings.peer.addPath } : {}),
    ...(gr
      ? {
          gracefulRestart: {
            restartTime: gr.restartTime,
            restarting,
            forwardingPreserved: gr.forwardingPreserved,
          },
        }
      : {}),
  };
}

/** The FSM's options for this session (RFC 4271 §8: timers, passive, the capabilities we send). */
export function fsmOptions(
  settings: SessionSettings,
  host: SessionHost,
  caps: LocalCapabilities,
  passive: boolean,
): FsmOptions {
  const p = settings.peer;
  return {
    localAs: sessionLocalAs(settings, host),
    bgpId: parseBgpId(host.routerId),
    peerAs: settings.peerAs,
    holdTime: p.holdTime,
    ...(p.keepaliveTime !== undefined ? { keepaliveTime: p.keepaliveTime } : {}),
    connectRetryTime: p.connectRetryTime,
    openHoldTime: p.openHoldTime,
    passive: passive || p.passive,
    idleHoldTime: Math.max(0.001, p.errorWaitTime[0]),
    maxIdleHoldTime: Math.max(0.001, p.errorWaitTime[0], p.errorWaitTime[1]),
    capabilities: localDescriptor(caps),
  };
}
