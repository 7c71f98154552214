// SIGHUP for `tortie-bgp`: what a new configuration changes, so that only
// that is done — an unchanged peer keeps its session (no Cease), a changed
// peer is re-created. Originated prefixes are announced or withdrawn by
// difference against what the speaker holds (`Speaker.replaceOriginated`),
// not planned here. Settings of the whole speaker (AS, router id, listener,
// namespace, dynamic ranges, graceful restart) cannot change under running
// sessions: such a reload is refused, naming them, and nothing is changed.
// Pure.
import type { PeerConfig, SpeakerConfig } from "../speaker/config.js";

/** What a reload does. */
export interface ReloadPlan {
  readonly addPeers: readonly PeerConfig[];
  readonly removePeers: readonly string[];
  /** Peers whose settings changed: removed and added again. */
  readonly replacePeers: readonly PeerConfig[];
  readonly unchangedPeers: readonly string[];
  /** Speaker-wide keys that changed: the reload is refused (restart to apply). */
  readonly needsRestart: readonly string[];
}

/** JSON with sorted keys: equal settings give equal text. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

const SPEAKER_WIDE = [
  "asn",
  "routerId",
  "listen",
  "netns",
  "dynamicNeighbors",
  "gracefulRestart",
] as const satisfies readonly (keyof SpeakerConfig)[];

/** The difference between the running configuration and a new one. */
export function planReload(old: SpeakerConfig, next: SpeakerConfig): ReloadPlan {
  const needsRestart = SPEAKER_WIDE.filter((k) => canonical(old[k]) !== canonical(next[k]));
  const before = new Map(old.peers.map((p) => [p.address, p]));
  const after = new Map(next.peers.map((p) => [p.address, p]));
  const addPeers: PeerConfig[] = [];
  const replacePeers: PeerConfig[] = [];
  const unchangedPeers: string[] = [];
  for (const [a, p] of after) {
    const was = before.get(a);
    if (!was) addPeers.push(p);
    else if (canonical(was) !== canonical(p)) replacePeers.push(p);
    else unchangedPeers.push(a);
  }
  const removePeers = [...before.keys()].filter((a) => !after.has(a));
  return { addPeers, removePeers, replacePeers, unchangedPeers, needsRestart };
}
