// The diff between the speaker's applied and desired state (pure): what to
// add, remove, re-configure, originate and withdraw. A peer is touched only
// when its own configuration changed, so an unrelated edit flaps nothing.
import type { DesiredBgp, DesiredPeer, DesiredRoute } from "./desired.js";

/** The changes that take the speaker from `applied` to `desired`. */
export interface BgpPlan {
  /** AS, router ID, cluster ID or listener changed: the speaker must be restarted (every session). */
  readonly restart: boolean;
  readonly addPeers: readonly DesiredPeer[];
  readonly removePeers: readonly string[];
  /** Peers whose session settings changed (removed and added again: that one session only). */
  readonly replacePeers: readonly DesiredPeer[];
  /** Peers whose filters alone changed: re-filtered in place, no session reset. */
  readonly refilterPeers: readonly DesiredPeer[];
  readonly originate: readonly DesiredRoute[];
  readonly withdraw: readonly string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A peer's session settings: a change resets the session. */
function sessionPart(p: DesiredPeer): object {
  const { importFilters: _i, exportFilters: _e, ...rest } = p.config;
  return rest;
}

/** A peer's filters: changed in place (`Speaker.setPeerFilters`). */
function filterPart(p: DesiredPeer): object {
  return [p.config.importFilters ?? [], p.config.exportFilters ?? []];
}

/** Whether a plan changes nothing. */
export function isEmptyPlan(p: BgpPlan): boolean {
  return (
    !p.restart &&
    !p.addPeers.length &&
    !p.removePeers.length &&
    !p.replacePeers.length &&
    !p.refilterPeers.length &&
    !p.originate.length &&
    !p.withdraw.length
  );
}

/** Plans the change from `applied` (undefined: nothing running) to `desired`. */
export function planBgp(applied: DesiredBgp | undefined, desired: DesiredBgp): BgpPlan {
  const restart =
    !applied ||
    applied.asn !== desired.asn ||
    applied.routerId !== desired.routerId ||
    applied.clusterId !== desired.clusterId ||
    !same(applied.listen, desired.listen);
  const before = restart ? new Map<string, DesiredPeer>() : applied.peers;
  const addPeers: DesiredPeer[] = [];
  const replacePeers: DesiredPeer[] = [];
  const refilterPeers: DesiredPeer[] = [];
  const removePeers: string[] = [];
  for (const [addr, p] of desired.peers) {
    const old = before.get(addr);
    if (!old) addPeers.push(p);
    else if (!same(sessionPart(old), sessionPart(p))) replacePeers.push(p);
    else if (!same(filterPart(old), filterPart(p))) refilterPeers.push(p);
  }
  for (const addr of before.keys()) if (!desired.peers.has(addr)) removePeers.push(addr);
  const was = restart ? new Map<string, DesiredRoute>() : applied.originate;
  const originate: DesiredRoute[] = [];
  const withdraw: string[] = [];
  for (const [prefix, r] of desired.originate) {
    const old = was.get(prefix);
    if (
      !old ||
      !same(old.communities ?? [], r.communities ?? []) ||
      !same(old.largeCommunities ?? [], r.largeCommunities ?? [])
    )
      originate.push(r);
  }
  for (const prefix of was.keys()) if (!desired.originate.has(prefix)) withdraw.push(prefix);
  return { restart, addPeers, removePeers, replacePeers, refilterPeers, originate, withdraw };
}
